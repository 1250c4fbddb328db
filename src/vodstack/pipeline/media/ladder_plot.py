"""The rate-quality plot of a ladder comparison: both ladders, and the hull they came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt

from vodstack.pipeline.media.ladder_compare import Comparison, LadderCurve

_STYLE = {"fixed": ("#888888", "s"), "per-title": ("#d62728", "o")}


def plot_comparison(comparison: Comparison, out_path: Path, title: str = "") -> Path:
    """VMAF against bit rate (log scale): the hull's sample encodes, then the two ladders."""
    figure, axes = plt.subplots(figsize=(8, 5))
    for height in sorted({p.height for p in comparison.analysis.points}):
        line = sorted(
            (p for p in comparison.analysis.points if p.height == height), key=lambda p: p.kbps
        )
        axes.plot([p.kbps for p in line], [p.vmaf for p in line], color="#cccccc", lw=0.8)
        axes.annotate(f"{height}p", (line[-1].kbps, line[-1].vmaf), fontsize=7, color="#999999")
    hull = comparison.analysis.hull
    axes.plot([p.kbps for p in hull], [p.vmaf for p in hull], ":", color="#1f77b4", label="hull")
    for curve in (comparison.fixed, comparison.per_title):
        _draw(axes, curve)
    bd = comparison.bd
    verdict = f"BD-rate {bd.percent:+.1f} %" if bd.percent is not None else bd.reason
    axes.set_title(f"{title}  {verdict}".strip())
    axes.set_xscale("log")
    axes.set_xlabel("bit rate (kbit/s)")
    axes.set_ylabel(f"VMAF at {comparison.display[0]}x{comparison.display[1]}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower right")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return out_path


def _draw(axes: Any, curve: LadderCurve) -> None:
    color, marker = _STYLE.get(curve.label, ("#2ca02c", "^"))
    xs = [p.kbps for p in curve.points]
    ys = [p.vmaf for p in curve.points]
    axes.plot(xs, ys, marker=marker, color=color, label=f"{curve.label} ladder")
    for point in curve.points:
        axes.annotate(
            point.setting,
            (point.kbps, point.vmaf),
            fontsize=7,
            color=color,
            xytext=(4, -10),
            textcoords="offset points",
        )
