"""`vodstack recs evaluate`: input formats, clear errors, the goal on synthetic data, and the
trainer shipping exactly what the command measures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from vodstack.cli.main import app
from vodstack.services.recs.interactions import read_csv, time_split, write_csv
from vodstack.services.recs.models import RecencyEase
from vodstack.services.recs.ranking import metrics
from vodstack.services.recs.synthetic import SyntheticSpec, generate
from vodstack.services.recs.trainer import train_indexed

runner = CliRunner()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recs") / "synthetic.csv"
    write_csv(path, generate(SyntheticSpec(users=1500, items=400, seed=7)))
    return path


def evaluate_json(path: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["recs", "evaluate", "--interactions", str(path), "--json", *extra])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_the_platform_model_beats_popularity_by_half_and_is_no_worse_than_ease(
    synthetic: Path,
) -> None:
    report = evaluate_json(synthetic)
    models = {m["model"]: m for m in report["models"]}
    assert list(models)[:3] == ["popularity", "item-cosine", "ease"]
    ours, popularity, ease = models["recency-ease"], models["popularity"], models["ease"]
    assert ours["ndcg"] >= 1.5 * popularity["ndcg"]
    assert ours["ndcg"] >= ease["ndcg"]
    for scores in models.values():
        assert 0 <= scores["recall"] <= 1 and 0 < scores["coverage"] <= 1
        assert scores["users"] == 1500


def test_the_trainer_ships_what_evaluate_measures(synthetic: Path) -> None:
    """Train on the evaluation's training side with the service's trainer: its lists score
    exactly the NDCG@10 and recall@10 the command reports for the platform's model."""
    report = evaluate_json(synthetic)
    measured = next(m for m in report["models"] if m["model"] == "recency-ease")
    split = time_split(read_csv(synthetic))
    trained = train_indexed(split.train, k=10, model=RecencyEase())
    column = {int(item): j for j, item in enumerate(split.train.items)}
    users = list(split.test)
    recommended = np.asarray(
        [
            [column[t] for t in trained.recommended[int(split.train.users[u])]][:10]
            + [-1] * (10 - len(trained.recommended[int(split.train.users[u])][:10]))
            for u in users
        ]
    )
    recall, ndcg = metrics(recommended, [split.test[u] for u in users], 10)
    assert float(ndcg.mean()) == pytest.approx(measured["ndcg"], abs=1e-3)
    assert float(recall.mean()) == pytest.approx(measured["recall"], abs=1e-3)


def test_movielens_columns_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    lines = ["userId,movieId,rating,timestamp"]
    for user in range(1, 41):
        for step, movie in enumerate(range(user % 7, user % 7 + 8)):
            lines.append(f"{user},{movie + 1},{1 + (movie % 5)}.0,{964982703 + step}")
    path.write_text("\n".join(lines) + "\n")
    data = read_csv(path)
    assert len(data) == 320 and set(data.weights.tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    report = evaluate_json(path)
    assert report["users"] == 40 and report["interactions"] == 320


def test_bad_files_get_a_clear_message(tmp_path: Path) -> None:
    cases = {
        "no-user.csv": ("item_id,timestamp\n1,2\n", "no user column"),
        "text.csv": ("user_id,item_id,timestamp\n1,abc,3\n", "text.csv:2"),
        "empty.csv": ("", "is empty"),
        "thin.csv": ("user_id,item_id,timestamp\n1,2,3\n1,3,4\n", "nothing to hold out"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = runner.invoke(app, ["recs", "evaluate", "--interactions", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert message in " ".join(result.output.split()), (name, result.output)
    missing = runner.invoke(app, ["recs", "evaluate", "--interactions", str(tmp_path / "no")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
