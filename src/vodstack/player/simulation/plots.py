"""Figures for ABR results: QoE CDFs with bitrate/stall bars, and one session's timeline."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt

from vodstack.player.simulation.evaluation import Evaluation
from vodstack.player.simulation.session import SessionResult
from vodstack.player.traces import NetworkTrace

_CDF_LEFT_LIMIT = -2.0


def plot_evaluation(evaluation: Evaluation, path: Path) -> None:
    """QoE-per-chunk CDF per algorithm, then mean bitrate and stall bars."""
    rows = evaluation.rows
    summaries = evaluation.summaries(evaluation.outcomes)
    figure, (cdf, bitrate, stall) = plt.subplots(
        1, 3, figsize=(15, 4.5), gridspec_kw={"width_ratios": [2, 1, 1]}
    )
    for name in rows:
        values = sorted(o.sessions[name].qoe_per_chunk for o in evaluation.outcomes)
        shares = [(i + 1) / len(values) for i in range(len(values))]
        cdf.step(
            values, shares, where="post", label=name, linestyle="--" if name == "optimum" else "-"
        )
    # A few starved traces score far below zero; clip so the interesting range stays readable.
    lowest = min(o.sessions[n].qoe_per_chunk for o in evaluation.outcomes for n in rows)
    if lowest < _CDF_LEFT_LIMIT:
        cdf.set_xlim(left=_CDF_LEFT_LIMIT)
        cdf.set_xlabel(f"QoE per chunk (chunks 1..47; axis clipped at {_CDF_LEFT_LIMIT:g})")
    else:
        cdf.set_xlabel("QoE per chunk (linear, chunks 1..47)")
    cdf.set_ylabel("share of traces")
    cdf.set_title(f"QoE CDF over {len(evaluation.outcomes)} traces")
    cdf.grid(alpha=0.3)
    cdf.legend(loc="upper left", fontsize=8)
    bitrate.bar(rows, [s.bitrate_mbps_mean for s in summaries], color="tab:blue")
    bitrate.set_title("mean bitrate (Mbps)")
    stall.bar(rows, [s.rebuffer_s for s in summaries], color="tab:red")
    stall.set_title("stall per session (s)")
    for axis in (bitrate, stall):
        axis.tick_params(axis="x", rotation=45, labelsize=8)
        axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_session(session: SessionResult, trace: NetworkTrace, path: Path) -> None:
    """Link throughput, chosen bitrate and buffer level over one session."""
    end = session.chunks[-1].start_s + session.chunks[-1].download_s + session.chunks[-1].sleep_s
    step = 0.25
    times = [i * step for i in range(int(end / step) + 1)]
    figure, (rates, buffer) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    rates.plot(times, [trace.rate_at(t) for t in times], color="0.6", lw=0.8, label="link (Mbps)")
    starts = [c.start_s for c in session.chunks]
    rates.step(starts, [c.bitrate_mbps for c in session.chunks], where="post", color="tab:blue",
               label="chosen bitrate (Mbps)")  # fmt: skip
    for chunk in session.chunks:
        if chunk.rebuffer_s > 0 and chunk.index > 0:
            arrival = chunk.start_s + chunk.download_s
            rates.axvspan(arrival - chunk.rebuffer_s, arrival, color="tab:red", alpha=0.25)
    rates.set_ylabel("Mbps")
    rates.legend(loc="upper right", fontsize=8)
    rates.set_title(
        f"{session.algorithm} on {trace.name}: QoE/chunk {session.qoe_per_chunk:.3f}, "
        f"stall {session.rebuffer_s:.1f} s"
    )
    arrivals = [c.start_s + c.download_s for c in session.chunks]
    buffer.plot(arrivals, [c.buffer_s for c in session.chunks], marker=".", color="tab:green")
    buffer.set_ylabel("buffer after chunk (s)")
    buffer.set_xlabel("session time (s)")
    for axis in (rates, buffer):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
