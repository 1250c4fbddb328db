"""Offline replay of a request trace through the edges' own eviction code.

Each region of the trace gets its own cache (an edge serves only its region's viewers):
a `ByteBudget` around the named policy, the very objects `DiskCache` uses, with objects
reduced to numbers and sizes. A hit is a request whose object the budget holds; a miss
fills it (reserve and commit at once, as a fill that completes before the next request).
The loop is kept tight on purpose: it runs once per request, for millions of requests,
per policy and capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vodstack.cdn.cache.admission import make_admission
from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.policies import make_policy
from vodstack.cdn.cache.trace import Trace
from vodstack.config.settings import EvictionKind


@dataclass
class Tally:
    """What one cache (or a sum of them) served."""

    requests: int = 0
    hits: int = 0
    requested_bytes: int = 0
    hit_bytes: int = 0
    evictions: int = 0
    fill_bytes: int = 0  # bytes written by planned fills (pre-positioning only)
    refused: int = 0  # misses the admission filter served without keeping

    @property
    def byte_hit_ratio(self) -> float:
        return self.hit_bytes / self.requested_bytes if self.requested_bytes else 0.0

    @property
    def object_hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.hits += other.hits
        self.requested_bytes += other.requested_bytes
        self.hit_bytes += other.hit_bytes
        self.evictions += other.evictions
        self.fill_bytes += other.fill_bytes
        self.refused += other.refused

    def as_dict(self) -> dict[str, float | int]:
        return {
            "byte_hit_ratio": self.byte_hit_ratio,
            "object_hit_ratio": self.object_hit_ratio,
            "requests": self.requests,
            "hits": self.hits,
            "requested_bytes": self.requested_bytes,
            "hit_bytes": self.hit_bytes,
            "evictions": self.evictions,
            "fill_bytes": self.fill_bytes,
            "refused": self.refused,
        }


@dataclass
class ReplayResult:
    """One policy at one capacity (per region cache) over a whole trace."""

    policy: str
    capacity_bytes: int
    total: Tally
    regions: dict[str, Tally]

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "capacity_bytes": self.capacity_bytes,
            **self.total.as_dict(),
            "regions": {name: tally.as_dict() for name, tally in self.regions.items() if name},
        }


def replay(
    trace: Trace, kind: EvictionKind, capacity_bytes: int, admission_slices: int = 0
) -> ReplayResult:
    """Replay every region's requests through its own cache of `capacity_bytes`
    (`admission_slices`: `cdn.admission_slices_per_day`, 0 keeps every miss)."""
    total = Tally()
    regions: dict[str, Tally] = {}
    for name, requests in trace.regions.items():
        budget = new_budget(capacity_bytes, kind, admission_slices)
        tally = serve(budget, requests.objects, trace.sizes, times=requests.times,
                      titles=trace.titles)  # fmt: skip
        regions[name] = tally
        total.add(tally)
    return ReplayResult(kind.value, capacity_bytes, total, regions)


def new_budget(capacity_bytes: int, kind: EvictionKind, admission_slices: int) -> ByteBudget[int]:
    """One region's cache as an edge builds it: the policy and the admission filter."""
    return ByteBudget(capacity_bytes, make_policy(kind), admission=make_admission(admission_slices))


def serve(
    budget: ByteBudget[int],
    objects: list[int],
    sizes: list[int],
    pinned: set[int] | frozenset[int] = frozenset(),
    times: Sequence[float] = (),
    titles: Sequence[int] = (),
) -> Tally:
    """Demand-fetch caching of `objects` (in order) by `budget`; returns what it served.

    `pinned` objects (pre-positioned by a fill plan, outside the budget) are hits too. With an
    admission filter, `times` (one per request) and `titles` (per object) must be given.
    """
    if budget.admission is not None:
        return _serve_admitting(budget, objects, sizes, pinned, times, titles)
    held = budget.sizes
    touch = budget.policy.touch
    admit = budget.admit
    hits = hit_bytes = requested = 0
    evictions_before = budget.evictions
    for obj in objects:
        size = sizes[obj]
        requested += size
        if obj in pinned:
            hits += 1
            hit_bytes += size
        elif obj in held:
            touch(obj)
            hits += 1
            hit_bytes += size
        else:
            admit(obj, size)
    return Tally(
        requests=len(objects),
        hits=hits,
        requested_bytes=requested,
        hit_bytes=hit_bytes,
        evictions=budget.evictions - evictions_before,
    )


def _serve_admitting(
    budget: ByteBudget[int],
    objects: list[int],
    sizes: list[int],
    pinned: set[int] | frozenset[int],
    times: Sequence[float],
    titles: Sequence[int],
) -> Tally:
    """`serve` with a miss naming its title and time (a loop of its own, so the plain
    replay's loop stays as tight as it was)."""
    if len(times) != len(objects) or not titles:
        raise ValueError("an admission filter needs every request's time and every object's title")
    held = budget.sizes
    touch = budget.policy.touch
    admit = budget.admit
    hits = hit_bytes = requested = 0
    evictions_before, refused_before = budget.evictions, budget.refused
    for obj, when in zip(objects, times, strict=True):
        size = sizes[obj]
        requested += size
        if obj in pinned:
            hits += 1
            hit_bytes += size
        elif obj in held:
            touch(obj)
            hits += 1
            hit_bytes += size
        else:
            admit(obj, size, titles[obj], when)
    return Tally(
        requests=len(objects),
        hits=hits,
        requested_bytes=requested,
        hit_bytes=hit_bytes,
        evictions=budget.evictions - evictions_before,
        refused=budget.refused - refused_before,
    )


def parse_capacity(text: str, unique_bytes: int) -> int:
    """`5%` of the trace's unique bytes, or a byte count (`2000000`, `500M`, `2G`)."""
    text = text.strip()
    units = {"K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4}
    try:
        if text.endswith("%"):
            bytes_ = round(float(text[:-1]) / 100 * unique_bytes)
        elif text[-1:].upper() in units:
            bytes_ = round(float(text[:-1]) * units[text[-1].upper()])
        else:
            bytes_ = int(text)
    except ValueError:
        raise ValueError(f"capacity {text!r}: expected N% or a byte count like 500M") from None
    if bytes_ <= 0:
        raise ValueError(f"capacity {text!r} is no bytes at all")
    return bytes_
