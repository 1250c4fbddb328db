"""The game day's report: `report.json` (every figure, every event) and `report.html` (the same,
for people, with the plots embedded as PNG so the file stands alone)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt

_EVENT_STYLE = {
    "monkey": ("#888888", ":"),
    "latency": ("#e69f00", "--"),
    "kong": ("#d62728", "-"),
    "stop": ("#2ca02c", "-"),
    "breaker": ("#9467bd", "-."),
    "autoscaler": ("#17becf", "--"),
}


def write_report(out_dir: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(report, indent=2, default=str))
    html_path = out_dir / "report.html"
    html_path.write_text(_html(report))
    return json_path, html_path


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def starts_plot(report: dict[str, Any]) -> str:
    series = report["summary"]["starts_over_time"]
    figure, axis = plt.subplots(figsize=(10, 4))
    for group, color in (("control", "#1f77b4"), ("experiment", "#ff7f0e")):
        axis.step(series["t"], series[group], where="post", color=color, label=f"{group} starts/s")
        failed = series[f"{group}_failed"]
        if any(failed):
            axis.step(
                series["t"],
                failed,
                where="post",
                color=color,
                linestyle="--",
                label=f"{group} failed starts/s",
            )
    seen: set[str] = set()
    for event in report["events"]:
        color, style = _EVENT_STYLE.get(event["kind"], ("#333333", ":"))
        label = event["kind"] if event["kind"] not in seen else None
        seen.add(event["kind"])
        axis.axvline(event["at"], color=color, linestyle=style, linewidth=1, label=label)
    plan = report["plan"]
    axis.axvspan(plan["chaos_starts_s"], plan["chaos_ends_s"], color="#d62728", alpha=0.05)
    axis.set_xlabel("seconds since the game day began (shaded: chaos window)")
    axis.set_ylabel(f"stream starts per second ({series['bin_s']:g} s bins)")
    axis.set_title("Stream starts per second, control vs experiment, chaos events marked")
    axis.legend(loc="upper left", fontsize=8, ncols=2)
    axis.grid(alpha=0.3)
    return _png(figure)


def latency_plot(report: dict[str, Any]) -> str:
    routes = report["summary"]["routes"]
    names = list(routes)
    figure, axis = plt.subplots(figsize=(10, max(2.5, 0.45 * len(names) + 1)))
    positions = range(len(names))
    axis.barh(
        [p + 0.2 for p in positions],
        [routes[n]["p99_ms"] for n in names],
        0.4,
        label="p99",
        color="#d62728",
    )
    axis.barh(
        [p - 0.2 for p in positions],
        [routes[n]["p50_ms"] for n in names],
        0.4,
        label="p50",
        color="#1f77b4",
    )
    axis.set_yticks(list(positions), names, fontsize=8)
    axis.set_xlabel("ms")
    axis.set_title("Latency per route, as the viewers measured it")
    axis.legend()
    axis.grid(alpha=0.3, axis="x")
    return _png(figure)


def _table(rows: list[list[Any]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _html(report: dict[str, Any]) -> str:
    summary = report["summary"]
    groups = summary["groups"]
    keys = [k for k in groups["control"] if k != "failed_start_errors"]
    failed_rows = [
        [f"{f['at_s']:.1f}", group, f["viewer"], f["error"]]
        for group in ("control", "experiment")
        for f in groups[group].get("failed_start_errors", [])
    ]
    group_rows = [[k, _fmt(groups["control"][k]), _fmt(groups["experiment"][k])] for k in keys]
    route_rows = [
        [name, r["requests"], r["failed"], r["p50_ms"], r["p99_ms"], r["stale"], r["shed"]]
        for name, r in summary["routes"].items()
    ]
    slo_rows = [
        [o["objective"], _fmt(o["value"]), "met" if o["met"] else "BROKEN"] for o in report["slo"]
    ]
    counters = report["gateway_counters"]
    counter_rows = [[n, k, _fmt(v)] for n, values in counters.items() for k, v in values.items()]
    event_rows = [[f"{e['at']:.1f}", e["kind"], e["detail"]] for e in report["events"]]
    kong = summary.get("kong")
    verdict = report["verdict"]
    parts = [
        "<!doctype html><meta charset=utf-8><title>vodstack game day</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;font-size:13px}.broken{color:#c00}.met{color:#080}</style>",
        f"<h1>Game day {html.escape(report['started_at'])}</h1>",
        f"<p class={'met' if verdict == 'passed' else 'broken'}><b>{html.escape(verdict)}</b>"
        f" &middot; {report['plan']['viewers']} viewers, {report['plan']['duration_s']:.0f} s, "
        f"chaos: {html.escape(', '.join(report['plan']['chaos']) or 'none')}</p>",
        f"<img alt='stream starts per second' src='data:image/png;base64,{starts_plot(report)}'>",
        "<h2>SLO</h2>"
        + (_table(slo_rows, ["objective", "value", ""]) if slo_rows else "<p>none given</p>"),
        "<h2>Control vs experiment</h2>" + _table(group_rows, ["", "control", "experiment"]),
        "<h2>Failed starts</h2>"
        + (
            _table(
                sorted(failed_rows, key=lambda r: float(r[0])),
                ["t (s)", "group", "viewer", "error"],
            )
            if failed_rows
            else "<p>none</p>"
        ),
    ]
    if kong:
        parts.append(
            "<h2>Chaos Kong</h2>" + _table([[k, _fmt(v)] for k, v in kong.items()], ["", ""])
        )
    parts += [
        "<h2>Per route</h2>",
        _table(route_rows, ["route", "requests", "failed", "p50 ms", "p99 ms", "stale", "shed"]),
        f"<img alt='latency per route' src='data:image/png;base64,{latency_plot(report)}'>",
        f"<h2>Resilience</h2><p>fallbacks served (rows possibly stale): "
        f"{summary['fallbacks_served']}; requests shed (seen by viewers): "
        f"{summary['shed_seen_by_viewers']}</p>",
        _table(counter_rows, ["gateway counter", "labels", "increase"]) if counter_rows else "",
        "<h2>Autoscaler</h2>" + _autoscaler(report),
        "<h2>Events</h2>" + _table(event_rows, ["t (s)", "kind", "detail"]),
    ]
    return "\n".join(parts)


def _autoscaler(report: dict[str, Any]) -> str:
    actions = report["autoscaler"]["actions"]
    if not actions:
        return f"<p>{html.escape(report['autoscaler']['note'])}</p>"
    rows = [[json.dumps(a, default=str)] for a in actions]
    return _table(rows, ["decision"])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "-" if value is None else str(value)
