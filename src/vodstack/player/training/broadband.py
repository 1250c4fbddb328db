"""Broadband test-like traces: windows of real FCC traces filtered the way Pensieve's test set was.

Pensieve built its FCC test corpus from 320-second pieces of FCC "Measuring Broadband America"
traces, keeping only pieces whose throughput stays above 0.2 Mbps and averages below 6 Mbps. Our
FCC training traces are whole 30-minute logs, outages included (the optimum itself stalls 5 s per
session on them), so they are a poor stand-in for that test set: its optimum scores 1.27 QoE per
chunk, ours 0.71. Cutting the same kind of pieces out of our own traces gives a selection set
that resembles the test set without touching it, and cutting them out of the held-out traces
gives one that was never selected on.

Pieces are cut at a random sample of a random FCC trace and kept only if they pass the filter;
times are rebased to 0 and names follow the FCC convention (`trace_...`), so evaluations group
them with broadband. A trace too short for a piece is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vodstack.player.traces import NetworkTrace, TraceFamily

#: Length of one piece (Pensieve's test traces).
PIECE_S = 320.0
#: Every sample of a kept piece is above this (Mbps).
MIN_MBPS = 0.2
#: A kept piece averages below this (Mbps).
MAX_MEAN_MBPS = 6.0
#: Pieces `vodstack abr train --split-dir` cuts from the training and from the held-out traces.
BROADBAND_PIECES = 60
BROADBAND_HELDOUT_PIECES = 40
#: Cuts tried per requested piece before giving up on the filter.
ATTEMPTS_PER_PIECE = 200


def cut(trace: NetworkTrace, start: int, duration_s: float) -> NetworkTrace | None:
    """The samples from index `start` spanning `duration_s`, rebased to time 0 (None if short)."""
    t0 = trace.times_s[start]
    end = start
    while end + 1 < len(trace.times_s) and trace.times_s[end] - t0 < duration_s:
        end += 1
    if trace.times_s[end] - t0 < duration_s:
        return None
    times = tuple(round(t - t0, 3) for t in trace.times_s[start : end + 1])
    return NetworkTrace(name=trace.name, times_s=times, mbps=trace.mbps[start : end + 1])


def passes(piece: NetworkTrace) -> bool:
    """Pensieve's test-set filter: never at or below `MIN_MBPS`, mean below `MAX_MEAN_MBPS`."""
    return min(piece.mbps[1:]) > MIN_MBPS and piece.mean_mbps < MAX_MEAN_MBPS


def broadband_pieces(
    traces: Sequence[NetworkTrace], count: int, seed: int, prefix: str = "trace_broadband"
) -> list[NetworkTrace]:
    """Up to `count` filtered pieces of the FCC traces among `traces` (fewer if few pass)."""
    sources = [t for t in traces if t.family is TraceFamily.FCC]
    rng = np.random.default_rng(seed)
    out: list[NetworkTrace] = []
    for _ in range(count * ATTEMPTS_PER_PIECE):
        if len(out) == count or not sources:
            break
        source = sources[int(rng.integers(len(sources)))]
        piece = cut(source, int(rng.integers(len(source.times_s))), PIECE_S)
        if piece is not None and passes(piece):
            name = f"{prefix}_{len(out):03d}"
            out.append(NetworkTrace(name=name, times_s=piece.times_s, mbps=piece.mbps))
    return out
