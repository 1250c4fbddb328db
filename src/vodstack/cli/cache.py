"""`vodstack cache`: replay request traces through the edges' eviction code, make workloads."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vodstack.cdn.cache.replay import ReplayResult, parse_capacity, replay
from vodstack.cdn.cache.trace import Trace, TraceError, read_trace, write_lines
from vodstack.cdn.workload import WorkloadSpec, generate
from vodstack.cli import cache_live
from vodstack.cli.options import DataDir
from vodstack.config.settings import EvictionKind, FillPlanSettings, ForecastKind
from vodstack.control.live_planner import read_report
from vodstack.control.prefill import replay_prefill
from vodstack.control.summary import plan_from_log

app = typer.Typer(help="CDN caching: evaluate eviction policies on traces, generate workloads.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ForecastOption = Annotated[
    ForecastKind, typer.Option(help="What ranks the plan (cdn.fill_plan.forecast).")
]
UnrequestedOption = Annotated[
    bool | None,
    typer.Option(
        help="Also plan positions of known titles nobody requested yet "
        "(cdn.fill_plan.unrequested, on by default).",
    ),
]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


def _policies(text: str) -> list[EvictionKind]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    known = ", ".join(kind.value for kind in EvictionKind)
    try:
        return [EvictionKind(name) for name in names]
    except ValueError:
        raise _fail(f"unknown policy in {text!r} (known: {known})") from None


def _capacities(text: str, trace: Trace) -> list[tuple[str, int]]:
    try:
        return [
            (part.strip(), parse_capacity(part, trace.unique_bytes))
            for part in text.split(",")
            if part.strip()
        ]
    except ValueError as exc:
        raise _fail(str(exc)) from exc


def _table(results: list[tuple[str, ReplayResult]], trace: Trace, title: str) -> Table:
    table = Table(title=title, caption=f"unique bytes {trace.unique_bytes:,}; "
                  "capacity is per region cache")  # fmt: skip
    columns = ("policy", "capacity", "region", "byte hit", "object hit", "evictions", "fill bytes")
    for column in columns:
        table.add_column(column, justify="left" if column in ("policy", "region") else "right")
    for label, result in results:
        rows = [("all", result.total)]
        if trace.has_regions:
            rows += sorted(result.regions.items())
        for region, tally in rows:
            table.add_row(
                result.policy, f"{label} ({result.capacity_bytes:,} B)", region,
                f"{tally.byte_hit_ratio:.4f}", f"{tally.object_hit_ratio:.4f}",
                f"{tally.evictions:,}", f"{tally.fill_bytes:,}",
            )  # fmt: skip
    return table


@app.command()
def evaluate(
    trace: Annotated[
        Path, typer.Option("--trace", exists=True, dir_okay=False, help="Trace (.csv or .gz).")
    ],
    capacity: Annotated[
        str, typer.Option(help="Per-region cache size(s): N% of unique bytes or bytes, comma list.")
    ] = "5%",
    policy: Annotated[str, typer.Option(help="Comma-separated eviction policies.")] = ",".join(
        kind.value for kind in EvictionKind
    ),
    json_output: JsonOption = False,
    prefill: Annotated[
        bool, typer.Option(help="Also fill each region nightly from the fill planner.")
    ] = False,
    planned_share: Annotated[
        float | None, typer.Option(min=0, max=1, help="Share of capacity the plan pins.")
    ] = None,
    auto_share: Annotated[
        bool, typer.Option(help="Choose the pinned share nightly by replaying yesterday.")
    ] = True,
    fill_hour: Annotated[
        int | None, typer.Option(min=0, max=23, help="Fill window start hour (UTC).")
    ] = None,
    fills_per_day: Annotated[
        int | None, typer.Option(min=1, max=24, help="Fill windows a day (later ones re-plan).")
    ] = None,
    oracle: Annotated[
        bool,
        typer.Option(help="NOT a policy: plan from the next day's true requests (the ceiling)."),
    ] = False,
    forecast: ForecastOption = ForecastKind.MODEL,
    unrequested: UnrequestedOption = None,
    admission: Annotated[
        int,
        typer.Option(
            min=0,
            max=1440,
            help="Keep a miss only if its title was missed in an earlier slice within a day "
            "(slices a day, as cdn.admission_slices_per_day; 0: every miss, the policy alone).",
        ),
    ] = 0,
) -> None:
    """Byte and object hit ratios of eviction policies on a request trace.

    With --prefill, each policy is the demand-fetch part of a cache that the fill planner
    fills every night from the past days of the trace; fill bytes are reported apart.
    """
    kinds = _policies(policy)
    started = time.perf_counter()
    try:
        loaded = read_trace(trace)
    except TraceError as exc:
        raise _fail(str(exc)) from exc
    read_s = time.perf_counter() - started
    overrides = {
        "planned_share": planned_share, "window_start_hour": fill_hour, "auto_share": auto_share,
        "fills_per_day": fills_per_day, "forecast": forecast, "unrequested": unrequested,
    }  # fmt: skip
    plan = FillPlanSettings(**{k: v for k, v in overrides.items() if v is not None})
    prefilled = prefill or oracle
    results = [
        (
            label,
            replay_prefill(loaded, kind, size, plan, oracle, admission)
            if prefilled
            else replay(loaded, kind, size, admission),
        )
        for label, size in _capacities(capacity, loaded)
        for kind in kinds
    ]
    elapsed = time.perf_counter() - started
    if json_output:
        typer.echo(json.dumps(_report(loaded, results, read_s, elapsed), indent=2))
        return
    mode = " with nightly pre-positioning" if prefill else ""
    mode = " with a CLAIRVOYANT plan (not a policy: the ceiling)" if oracle else mode
    admitting = f", admission {admission} slices a day" if admission else ""
    title = f"{trace.name}: {loaded.requests:,} requests{mode}{admitting}"
    Console(width=140).print(_table(results, loaded, title))
    Console(stderr=True).print(f"read in {read_s:.1f} s, replayed in {elapsed - read_s:.1f} s")


def _report(
    trace: Trace, results: list[tuple[str, ReplayResult]], read_s: float, elapsed_s: float
) -> dict[str, object]:
    return {
        "requests": trace.requests,
        "objects": len(trace.sizes),
        "unique_bytes": trace.unique_bytes,
        "regions": sorted(trace.regions) if trace.has_regions else [],
        "results": [{"capacity": label, **result.as_dict()} for label, result in results],
        "read_s": round(read_s, 3),
        "elapsed_s": round(elapsed_s, 3),
    }


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Trace to write (.gz ok).")],
    days: Annotated[int, typer.Option(min=1, help="Days of requests.")] = 7,
    titles: Annotated[int, typer.Option(min=1, help="Titles, new releases included.")] = 1000,
    regions: Annotated[str, typer.Option(help="Comma-separated regions (empty: none).")] = "eu,us",
    sessions_per_day: Annotated[int, typer.Option(min=1, help="Viewing sessions a day.")] = 2000,
    releases_per_day: Annotated[float, typer.Option(min=0, help="New titles a day.")] = 3.0,
    zipf: Annotated[float, typer.Option(min=0, help="Popularity skew 1/rank^zipf.")] = 0.9,
    churn: Annotated[float, typer.Option(min=0, help="Daily log-normal popularity step.")] = 0.35,
    returns: Annotated[
        float, typer.Option(min=0, max=1, help="Chance a viewer resumes the title on a later day.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same trace).")] = 1,
) -> None:
    """Write a synthetic VOD request trace (see `vodstack.cdn.workload` for the model)."""
    names = tuple(name.strip() for name in regions.split(",") if name.strip())
    spec = WorkloadSpec(
        days=days, titles=titles, regions=names or ("",), sessions_per_day=sessions_per_day,
        releases_per_day=releases_per_day, zipf=zipf, churn=churn, returns=returns, seed=seed,
    )  # fmt: skip
    header = "timestamp_s,object_id,size_bytes" + (",region" if names else "")
    count = write_lines(out, generate(spec), header=header)
    Console(stderr=True).print(f"wrote {count:,} requests to {out}")


@app.command("fill")
def fill_command(
    now: Annotated[bool, typer.Option("--now", help="Start a fill window now.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to follow the window (0: don't).")] = 0,
    data_dir: Path | None = DataDir,
) -> None:
    """Ask the running platform's fill planner for a window now (it also runs nightly)."""
    if not now:
        raise _fail("nothing to do: `vodstack cache fill --now` starts a window now")
    cache_live.fill_now(data_dir, wait)


@app.command("plan")
def plan_command(
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            exists=True,
            dir_okay=False,
            help="Request log (trace) to plan from offline; without it: the live planner's "
            "last window.",
        ),
    ] = None,
    capacity: Annotated[
        str, typer.Option(help="Per-edge capacity: N% of unique bytes or bytes.")
    ] = "5%",
    edges_per_region: Annotated[int, typer.Option(min=1, help="Edges in each region.")] = 2,
    fill_hour: Annotated[int, typer.Option(min=0, max=23, help="Day start (UTC).")] = 4,
    planned_share: Annotated[float, typer.Option(min=0, max=1, help="Share pinned.")] = 1.0,
    forecast: ForecastOption = ForecastKind.MODEL,
    unrequested: UnrequestedOption = None,
    json_output: JsonOption = False,
    data_dir: Path | None = DataDir,
) -> None:
    """Tonight's fill plan from a request log: per edge contents, fills by source, forecast.

    Without `--log`: the running platform's last fill window, with its progress."""
    if log is None:
        cache_live.show_report(read_report(cache_live.run_dir(data_dir)), as_json=json_output)
        return
    try:
        loaded = read_trace(log)
    except TraceError as exc:
        raise _fail(str(exc)) from exc
    ((_label, per_edge),) = _capacities(capacity, loaded)
    overrides = {"unrequested": unrequested} if unrequested is not None else {}
    settings = FillPlanSettings(
        window_start_hour=fill_hour, planned_share=planned_share, forecast=forecast, **overrides
    )
    plans = plan_from_log(loaded, settings, edges_per_region, per_edge)
    report = {region: summary.as_dict() for region, summary in plans.items()}
    if json_output:
        typer.echo(json.dumps({"capacity_bytes": per_edge, "regions": report}, indent=2))
        return
    table = Table(title=f"fill plan from {log.name} ({per_edge:,} B per edge)")
    for column in ("region", "edge", "titles", "objects", "unrequested", "planned B",
                   "from peer B", "from origin B", "deferred", "expected hits"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("region", "edge") else "right")
    for region, summary in plans.items():
        for edge in summary.edges:
            table.add_row(region, edge.name, f"{edge.titles}", f"{edge.objects:,}",
                          f"{edge.unrequested:,}", f"{edge.planned_bytes:,}",
                          f"{edge.peer_bytes:,}", f"{edge.origin_bytes:,}", f"{edge.deferred:,}",
                          f"{edge.expected_hits:,.1f}")  # fmt: skip
        table.add_row(region, "predicted offload", "", "", "", "", "", "", "",
                      f"{summary.predicted_offload:.1%}")  # fmt: skip
    Console(width=140).print(table)
