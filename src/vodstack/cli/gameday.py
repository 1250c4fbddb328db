"""`vodstack gameday`: synthetic viewers in a control and an experiment group, chaos against the
experiment's share, a report (HTML + JSON), and an exit code that says whether the SLO held."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from vodstack.cli.options import ConfigFile, DataDir
from vodstack.config import load_settings
from vodstack.gameday.plan import SLO_METRICS, GamedayPlan, PlanError, parse_slo
from vodstack.gameday.run import run_gameday

console = Console()
_SLO_HELP = "Objectives, comma-separated, e.g. 'failed_starts<=0,start_ratio>=0.95'. Metrics: " + (
    ", ".join(SLO_METRICS)
)


def gameday(
    viewers: int = typer.Option(50, "--viewers", min=2, help="Synthetic viewers (half per group)."),
    minutes: float = typer.Option(5.0, "--minutes", help="How long the game day runs."),
    chaos: str = typer.Option(
        "", "--chaos", help="Comma-separated: monkey, latency, kong (empty: no chaos)."
    ),
    slo: str | None = typer.Option(None, "--slo", help=_SLO_HELP),
    out: Path | None = typer.Option(
        None, "--out", help="Report directory (default DATA_DIR/gameday/TIMESTAMP)."
    ),
    experiment_region: str = typer.Option("eu", "--experiment-region"),
    control_region: str = typer.Option("us", "--control-region"),
    monkey_service: list[str] = typer.Option(
        [], "--monkey-service", help="Services the monkey hits (default: those with 2+ instances)."
    ),
    monkey_interval: float = typer.Option(15.0, "--monkey-interval", min=0.5),
    latency_service: str = typer.Option("catalog", "--latency-service"),
    latency_ms: int = typer.Option(300, "--latency-ms", min=0),
    latency_fraction: float = typer.Option(0.5, "--latency-fraction"),
    latency_error: int | None = typer.Option(None, "--latency-error"),
    watch: str = typer.Option("20-60", "--watch", help="Seconds watched per play, MIN-MAX."),
    seed: int = typer.Option(1, "--seed"),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Run a game day against the running platform; exit 1 if the SLO given is broken."""
    settings = load_settings(config, **({"data_dir": data_dir} if data_dir else {}))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        low, _, high = watch.partition("-")
        plan = GamedayPlan(
            viewers=viewers,
            duration_s=minutes * 60,
            chaos=tuple(c.strip() for c in chaos.split(",") if c.strip()),
            out_dir=out or settings.data_dir / "gameday" / stamp,
            slo=tuple(parse_slo(slo)),
            experiment_region=experiment_region,
            control_region=control_region,
            monkey_services=tuple(monkey_service),
            monkey_interval_s=monkey_interval,
            latency_service=latency_service,
            latency_ms=latency_ms,
            latency_fraction=latency_fraction,
            latency_error=latency_error,
            watch_s=(float(low), float(high or low)),
            seed=seed,
        )
    except ValueError as exc:  # PlanError, or a --watch that is not MIN-MAX
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    with Live(Text("starting"), console=console, refresh_per_second=2, transient=False) as live:
        try:
            report, json_path, html_path = asyncio.run(
                run_gameday(
                    settings,
                    plan,
                    progress=lambda line: live.update(Text(line)),
                    announce=live.console.print,
                )
            )
        except PlanError as exc:
            live.console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    _print_summary(report)
    console.print(f"report: {html_path}\n        {json_path}")
    if report["verdict"] != "passed":
        console.print(f"[red]{report['verdict']}[/]")
        raise typer.Exit(1)
    console.print("[green]game day passed[/]" if plan.slo else "game day done (no SLO given)")


def _print_summary(report: dict[str, object]) -> None:
    summary = report["summary"]
    assert isinstance(summary, dict)
    for group, figures in summary["groups"].items():
        console.print(
            f"{group:<10} starts {figures['starts']:>4}  failed {figures['failed_starts']:>3}  "
            f"sessions failed {figures['failed_sessions']:>3}  rebuffer ratio "
            f"{figures['rebuffer_ratio']:.4f}  startup p50 {figures['startup_p50_ms']:.0f} ms"
        )
        for failed in figures.get("failed_start_errors", [])[:20]:
            # markup=False: an error message may hold square brackets.
            console.print(
                f"  failed start at {failed['at_s']:.1f} s, viewer {failed['viewer']}: "
                f"{failed['error']}",
                markup=False,
            )
    for objective in report["slo"]:  # type: ignore[attr-defined]
        state = "met" if objective["met"] else "[red]BROKEN[/]"
        console.print(f"SLO {objective['objective']}: {objective['value']:.4g} {state}")
