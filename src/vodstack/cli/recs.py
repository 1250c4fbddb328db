"""`vodstack recs`: offline evaluation of the recommenders, synthetic data, training runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vodstack.cli.jobs import load_cli_settings
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.recs import RecsClient
from vodstack.contracts.recs import TrainPhase, TrainStatus
from vodstack.core.errors import VodstackError
from vodstack.services.recs.evaluation import Scores, evaluate
from vodstack.services.recs.interactions import InteractionsError, read_csv, write_csv
from vodstack.services.recs.synthetic import SyntheticSpec, generate

app = typer.Typer(
    help="Recommendations: evaluate models offline, generate data, train.", no_args_is_help=True
)
console = Console()

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


@app.command("evaluate")
def evaluate_command(
    interactions: Annotated[
        Path,
        typer.Option(
            "--interactions",
            help=(
                "CSV with user_id,item_id,timestamp[,rating] (MovieLens' userId,movieId,rating,"
                "timestamp too)."
            ),
        ),
    ],
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 10,
    holdout: Annotated[
        int,
        typer.Option(
            "--holdout", min=1, max=50, help=("Each user's last N distinct items are held out.")
        ),
    ] = 2,
    as_json: JsonOption = False,
) -> None:
    """Per-user time split; recall@k, NDCG@k and catalog coverage of the popularity baseline,
    item-to-item cosine, EASE, implicit's ALS and the platform's model, in one run."""
    try:
        data = read_csv(interactions)
        split, scores = evaluate(data, k=k, holdout=holdout)
    except (InteractionsError, ValueError) as exc:
        raise _fail(str(exc)) from None
    users, items = split.train.shape
    if as_json:
        print(
            json.dumps(
                {
                    "interactions": len(data),
                    "users": users,
                    "items": items,
                    "k": k,
                    "holdout": holdout,
                    "models": [s.as_dict() for s in scores],
                }
            )
        )
        return
    console.print(
        _table(
            scores,
            k,
            f"{len(data):,} interactions, {users:,} users, "
            f"{items:,} items; last {holdout} per user held out",
        )
    )


def _table(scores: list[Scores], k: int, caption: str) -> Table:
    table = Table(caption=caption)
    popularity = next((s.ndcg for s in scores if s.model == "popularity"), 0.0)
    for column in (
        "model",
        f"recall@{k}",
        f"NDCG@{k}",
        "vs popularity",
        "coverage",
        "users",
        "fit s",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    for s in scores:
        ratio = f"{s.ndcg / popularity:.2f}x" if popularity else "-"
        table.add_row(
            s.model,
            f"{s.recall:.4f}",
            f"{s.ndcg:.4f}",
            ratio,
            f"{s.coverage:.3f}",
            str(s.users),
            f"{s.fit_s:.1f}",
        )
    return table


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="CSV to write (MovieLens-like columns).")],
    users: Annotated[int, typer.Option("--users", min=10)] = 5000,
    items: Annotated[int, typer.Option("--items", min=20)] = 1000,
    mean_items: Annotated[float, typer.Option("--mean-items", min=5)] = 25.0,
    drift: Annotated[
        float,
        typer.Option(
            "--drift", min=0, max=1, help=("How far tastes move along a user's history (0: none).")
        ),
    ] = 0.35,
    skew: Annotated[
        float, typer.Option("--skew", min=0, max=3, help=("Zipf exponent of item popularity."))
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Synthetic viewing: latent-factor users and items, popularity skew, drifting tastes."""
    spec = SyntheticSpec(
        users=users,
        items=items,
        mean_items=mean_items,
        drift=drift,
        popularity_skew=skew,
        seed=seed,
    )
    data = generate(spec)
    write_csv(out, data)
    console.print(
        f"wrote {len(data):,} interactions of {users:,} users on {items:,} items to {out}"
    )


async def _train(client: RecsClient) -> TrainStatus:
    try:
        return await client.train()
    finally:
        await client.aclose()


@app.command("train")
def train_command(data_dir: Path | None = DataDir, config: Path | None = ConfigFile) -> None:
    """Train on the platform's viewing history now and precompute every profile's rows (the
    recs service also trains on its schedule). Needs the platform running (`vodstack up`)."""
    settings = load_cli_settings(data_dir, config)
    client = RecsClient.of(settings, "cli", timeout=3600.0)
    try:
        status = asyncio.run(_train(client))
    except VodstackError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    if status.phase is not TrainPhase.DONE:
        console.print(f"[red]training failed:[/] {status.message}")
        raise typer.Exit(1)
    console.print(
        f"[green]done:[/] {status.message}: {status.profiles} profiles, "
        f"{status.titles} titles, {status.interactions} interactions"
    )
