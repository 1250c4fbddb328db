"""`vodstack abr simulate`, `evaluate` and `train` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.player.fakes import make_trace, make_video, write_trace, write_video
from vodstack.cli.main import app

runner = CliRunner()


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    traces = tmp_path / "traces"
    traces.mkdir()
    write_trace(traces / "trace_1_fcc", make_trace([0.6, 2.5, 0.2, 3.5], step_s=3.0))
    write_trace(traces / "ferry.report.log", make_trace([1.2, 0.9, 1.6], step_s=2.0))
    return traces, write_video(tmp_path / "sizes", make_video())


def test_simulate_json(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    result = runner.invoke(
        app,
        ["abr", "simulate", "--trace", str(traces / "trace_1_fcc"), "--video-sizes", str(sizes),
         "--algorithm", "bola", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["algorithm"] == "bola"
    assert len(data["qualities"]) == 48 and all(isinstance(q, int) for q in data["qualities"])
    for key in ("qoe_per_chunk", "bitrate_mbps_mean", "rebuffer_s", "smoothness_mbps_mean"):
        assert isinstance(data[key], float)


def test_simulate_table_and_timeline_plot(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    plot = tmp_path / "timeline.png"
    result = runner.invoke(
        app,
        ["abr", "simulate", "--trace", str(traces / "ferry.report.log"), "--video-sizes",
         str(sizes), "--plot", str(plot)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "vodstack" in result.output and "QoE per chunk" in result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_json_and_plot(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    plot = tmp_path / "cdf.png"
    result = runner.invoke(
        app,
        ["abr", "evaluate", "--traces", str(traces), "--video-sizes", str(sizes),
         "--algorithms", "bba,vodstack", "--json", "--plot", str(plot)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data["groups"]["all"]
    assert set(rows) == {"bba", "vodstack", "optimum"}
    assert rows["optimum"]["fraction_of_optimum"] == 1.0
    assert set(data["groups"]) == {"all", "fcc", "hsdpa"}
    assert plot.stat().st_size > 10_000


def test_evaluate_table(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    result = runner.invoke(
        app,
        ["abr", "evaluate", "--traces", str(traces), "--video-sizes", str(sizes)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "optimum" in result.output and "> RMPC" in result.output


def test_unknown_algorithm_is_a_clear_error(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    result = runner.invoke(
        app,
        ["abr", "simulate", "--trace", str(traces / "trace_1_fcc"), "--video-sizes", str(sizes),
         "--algorithm", "magic"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "unknown ABR algorithm 'magic'" in result.output


def test_train_writes_the_policy_and_the_splits(tmp_path: Path) -> None:
    traces, sizes = _inputs(tmp_path)
    for n in (2, 3, 4):
        write_trace(traces / f"trace_{n}_fcc", make_trace([1.5, 2.0, n / 2], step_s=5.0))
    write_trace(traces / "bus.report.log", make_trace([0.5, 2.5, 1.2, 3.0], step_s=1.0))
    policy = tmp_path / "policy.json"
    result = runner.invoke(
        app,
        ["abr", "train", "--traces", str(traces), "--video-sizes", str(sizes), "--seed", "3",
         "--out", str(policy), "--split-dir", str(tmp_path / "split"), "--rounds", "0",
         "--synthetic-per-family", "1", "--labels-per-session", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(policy.read_text())
    assert document["trained"]["config"]["seed"] == 3
    assert len(document["weights"]["out_b"]) == 6
    module = policy.with_suffix(".js").read_text()
    assert json.loads(module.split("export const POLICY = ", 1)[1].rstrip().rstrip(";")) == document
    split = {d.name: sorted(p.name for p in d.iterdir()) for d in (tmp_path / "split").iterdir()}
    assert split["heldout"] == ["trace_4_fcc"]  # every 4th of a family, never trained on
    assert "trace_4_fcc" not in split["train"] and len(split["train"]) == 5
    assert len(split["synthetic"]) == 2
    assert split["broadband"] == [] and split["broadband-heldout"] == []  # all shorter than 320 s


def test_train_terminal_out_writes_the_terminal_value_instead_of_the_policy(
    tmp_path: Path,
) -> None:
    traces, sizes = _inputs(tmp_path)
    out = tmp_path / "terminal.json"
    result = runner.invoke(
        app,
        ["abr", "train", "--traces", str(traces), "--video-sizes", str(sizes), "--seed", "4",
         "--terminal-out", str(out), "--synthetic-per-family", "1", "--labels-per-session", "2",
         "--out", str(tmp_path / "policy.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["trained"]["config"]["seed"] == 4
    assert document["trained"]["config"]["labels_per_session"] == 2
    assert document["trained"]["states"] == 8  # (2 real + 2 synthetic sessions) x 2
    assert len(document["weights"]["out_b"]) == len(document["caps_s"])
    assert not (tmp_path / "policy.json").exists()  # the policy is not trained
