"""Synthetic throughput traces: regime-switching Markov chains fitted to the training families.

127 real traces are few to learn from without memorising them. Each family (FCC broadband, HSDPA
mobile) gets its own model, fitted on the training split only:

- a trace's *level* is its mean throughput; new traces draw a level from the family's levels,
  jittered by a log-normal factor (so they are not copies of the training traces);
- the *fluctuation* around the level is a Markov chain over 12 quantile bins of
  `throughput / trace mean`, with the transition counts of consecutive samples (add-one
  smoothed) and, within a bin, one of the values observed in it;
- samples are spaced at the family's median sampling step (5 s FCC, about 1 s HSDPA).

Names follow the families' conventions (`trace_...` is FCC) so evaluations group them correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vodstack.player.traces import NetworkTrace, TraceFamily

#: Quantile bins of the normalised throughput.
BINS = 12
#: Spread (sigma of the log) of the jitter applied to a drawn trace level.
LEVEL_JITTER = 0.25
#: Length of a synthetic trace in seconds (a 48-chunk session wraps around it when slow).
DURATION_S = 400.0


@dataclass(frozen=True)
class FamilyModel:
    """The fitted generator of one family."""

    family: TraceFamily
    step_s: float
    levels: tuple[float, ...]
    transitions: np.ndarray  # (BINS, BINS) row-stochastic
    members: tuple[tuple[float, ...], ...]  # observed normalised values per bin
    start: np.ndarray  # (BINS,) stationary-ish start distribution

    def sample(self, rng: np.random.Generator, name: str) -> NetworkTrace:
        """One synthetic trace."""
        level = float(rng.choice(self.levels)) * float(np.exp(rng.normal(0.0, LEVEL_JITTER)))
        count = int(DURATION_S / self.step_s) + 1
        state = int(rng.choice(BINS, p=self.start))
        rates = []
        for _ in range(count):
            values = self.members[state]
            rates.append(max(0.0, level * float(values[int(rng.integers(len(values)))])))
            state = int(rng.choice(BINS, p=self.transitions[state]))
        if not any(r > 0 for r in rates[1:]):
            rates[1] = level
        times = tuple(round(i * self.step_s, 3) for i in range(count))
        return NetworkTrace(name=name, times_s=times, mbps=tuple(round(r, 4) for r in rates))


def fit(traces: list[NetworkTrace], family: TraceFamily) -> FamilyModel:
    """Fit one family's model on `traces` (those of other families are ignored)."""
    members = [t for t in traces if t.family is family]
    if not members:
        raise ValueError(f"no {family.value} traces to fit")
    normalised = [np.array(t.mbps[1:]) / max(t.mean_mbps, 1e-6) for t in members]
    pooled = np.concatenate(normalised)
    edges = np.quantile(pooled, np.linspace(0, 1, BINS + 1)[1:-1])
    counts = np.ones((BINS, BINS))
    per_bin: list[list[float]] = [[] for _ in range(BINS)]
    for values in normalised:
        bins = np.searchsorted(edges, values, side="right")
        for b, v in zip(bins, values, strict=True):
            per_bin[int(b)].append(float(v))
        np.add.at(counts, (bins[:-1], bins[1:]), 1.0)
    transitions = counts / counts.sum(axis=1, keepdims=True)
    occupancy = np.array([len(v) for v in per_bin], dtype=np.float64) + 1.0
    steps = np.concatenate([np.diff(t.times_s) for t in members])
    return FamilyModel(
        family=family,
        step_s=float(np.median(steps)),
        levels=tuple(t.mean_mbps for t in members),
        transitions=transitions,
        members=tuple(tuple(v) if v else (1.0,) for v in per_bin),
        start=occupancy / occupancy.sum(),
    )


def synthesize(traces: list[NetworkTrace], per_family: int, seed: int) -> list[NetworkTrace]:
    """`per_family` synthetic traces for every family present in `traces`."""
    rng = np.random.default_rng(seed)
    out: list[NetworkTrace] = []
    for family in TraceFamily:
        if not any(t.family is family for t in traces):
            continue
        model = fit(traces, family)
        prefix = "trace_synthetic" if family is TraceFamily.FCC else "synthetic.hsdpa"
        out.extend(model.sample(rng, f"{prefix}_{i:03d}") for i in range(per_family))
    return out


def write_traces(directory: Path, traces: list[NetworkTrace]) -> None:
    """Write traces in the `time throughput` format, one file per trace."""
    directory.mkdir(parents=True, exist_ok=True)
    for trace in traces:
        lines = [f"{t}\t{r}" for t, r in zip(trace.times_s, trace.mbps, strict=True)]
        (directory / trace.name).write_text("\n".join(lines) + "\n")
