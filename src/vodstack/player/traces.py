"""Network throughput traces: reading them and asking how fast the link is at a given moment.

A trace is a list of `time_s  throughput_Mbps` samples. Following the Pensieve/mahimahi
convention, the throughput on line i holds for the interval (t[i-1], t[i]], line 0 only marks the
start, and a session that outlives the trace wraps around to its start. The same model serves the
simulator (which walks it segment by segment) and a live token bucket (which asks `rate_at`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class TraceFamily(Enum):
    """Where a trace comes from; results are reported per family."""

    FCC = "fcc"
    HSDPA = "hsdpa"


class TraceError(ValueError):
    """A trace file that cannot be used (empty, unsorted, or never delivering a byte)."""


@dataclass(frozen=True)
class NetworkTrace:
    """One throughput trace: sample times (s, from 0) and throughputs (Mbps)."""

    name: str
    times_s: tuple[float, ...]
    mbps: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.times_s) < 2 or len(self.times_s) != len(self.mbps):
            raise TraceError(f"trace {self.name!r} needs at least two samples")
        if any(b <= a for a, b in zip(self.times_s, self.times_s[1:], strict=False)):
            raise TraceError(f"trace {self.name!r} has non-increasing times")
        if any(v < 0 for v in self.mbps):
            raise TraceError(f"trace {self.name!r} has a negative throughput")
        if not any(v > 0 for v in self.mbps[1:]):
            raise TraceError(f"trace {self.name!r} never delivers any data")

    @property
    def family(self) -> TraceFamily:
        """FCC broadband traces are named `trace_<id>_<site>`; the Norway 3G logs are not."""
        return TraceFamily.FCC if self.name.startswith("trace_") else TraceFamily.HSDPA

    @property
    def period_s(self) -> float:
        """Length of one pass over the trace; playback beyond it wraps around."""
        return self.times_s[-1] - self.times_s[0]

    @property
    def mean_mbps(self) -> float:
        """Time-weighted mean throughput over one pass."""
        weighted = sum(
            self.mbps[i] * (self.times_s[i] - self.times_s[i - 1]) for i in range(1, len(self.mbps))
        )
        return weighted / self.period_s

    def rate_at(self, t_s: float) -> float:
        """Link throughput (Mbps) at trace time `t_s`, wrapping; e.g. a token bucket's refill."""
        offset = self.times_s[0] + (t_s % self.period_s)
        index = bisect.bisect_left(self.times_s, offset)
        return self.mbps[max(index, 1)]


def read_trace(path: Path) -> NetworkTrace:
    """Read one trace file (`time_s throughput_Mbps` per line, whitespace separated)."""
    times: list[float] = []
    rates: list[float] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise TraceError(f"{path}:{number}: expected `time throughput`, got {line!r}")
        try:
            times.append(float(fields[0]))
            rates.append(float(fields[1]))
        except ValueError as exc:
            raise TraceError(f"{path}:{number}: not a number in {line!r}") from exc
    return NetworkTrace(name=path.name, times_s=tuple(times), mbps=tuple(rates))


def trace_files(directory: Path) -> list[Path]:
    """The trace files of a directory, sorted by name (hidden files and READMEs skipped)."""
    if not directory.is_dir():
        raise TraceError(f"{directory} is not a directory of traces")
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.lower().startswith("readme")
    )


def load_traces(directory: Path) -> list[NetworkTrace]:
    """Every trace in a directory, sorted by name."""
    return [read_trace(p) for p in trace_files(directory)]


def by_family(traces: Sequence[NetworkTrace]) -> Iterator[tuple[TraceFamily, list[NetworkTrace]]]:
    """The traces grouped by family, families in a fixed order, empty groups skipped."""
    for family in TraceFamily:
        members = [t for t in traces if t.family is family]
        if members:
            yield family, members
