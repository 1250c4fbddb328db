"""Positions of known titles nobody has requested yet: which they are, and what they weigh.

The position model (control/forecast.py) can value any position of a title seen from its start:
starts(t, r) x rate(rendition, position). The forecast used to name only objects already
requested, yet on the issue-shaped traces 38 % of a day's bytes are on objects never requested
before whose title was (docs/benchmarks.md, "Where the bytes are lost"): later positions and
other renditions of titles being watched. With `cdn.fill_plan.unrequested` the forecast also
names them:

- `PositionCoverage` remembers, per (title, rendition), which positions were requested and
  each title's last requested position; `gaps` yields the others, from 0 to that last
  position, in every rendition the title was requested in (a title's length and ladder are
  known only as far as it has been watched: nothing of the future names a position).
- A `SegmentCatalogue` turns such a slot into an object the planner can place: its key, and
  its size through the planner's `size_of`. Offline (`control/plan_objects.py`) the size is
  estimated by `PastSizes` from requests already made; live (`control/origin_segments.py`)
  the origin lists the title's packaged files with their real sizes.

`PastSizes`: the same position in another rendition x the median ratio of the two renditions'
sizes over every (title, position) requested in both. A segment's size is the rendition's
bitrate x the scene's complexity at that position, which every rendition shares; positions
requested in no other rendition are left out (no estimate).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, NamedTuple, Protocol, TypeVar

from vodstack.control.objects import ObjectInfo

K = TypeVar("K", bound=Hashable)
# Size ratios kept per pair of renditions (the first ones seen): enough for a stable median.
RATIO_SAMPLES = 1001


class Unrequested(NamedTuple, Generic[K]):
    """A position of a known title nobody has requested, and what the forecast expects of it."""

    slot: ObjectInfo  # title, rendition, position
    sibling: K  # a requested object of the same title and rendition (names the slot's kin)
    expected: float  # requests tomorrow


class SegmentCatalogue(Protocol[K]):
    """Names the planner's objects for unrequested positions, and knows their sizes."""

    def resolve(self, slot: ObjectInfo, sibling: K) -> K | None:
        """The object at `slot`, its size then known to the planner's `size_of`; None when
        the slot cannot be named or sized."""
        ...


class PositionCoverage(Generic[K]):
    """Which positions of each (title, rendition) were requested, from `add`ed requests only."""

    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], dict[int, K]] = {}
        self._last: dict[str, int] = {}

    def add(self, key: K, info: ObjectInfo) -> None:
        if info.position is None:
            return
        self._positions.setdefault((info.title, info.rendition), {}).setdefault(info.position, key)
        if info.position > self._last.get(info.title, -1):
            self._last[info.title] = info.position

    def copy(self) -> PositionCoverage[K]:
        other: PositionCoverage[K] = PositionCoverage()
        other._positions = {slot: dict(seen) for slot, seen in self._positions.items()}
        other._last = dict(self._last)
        return other

    def gaps(self, wanted: Callable[[str, str], bool]) -> Iterator[tuple[ObjectInfo, K]]:
        """Unrequested positions (up to the title's last requested one) of each requested
        (title, rendition) that `wanted(title, rendition)`, each with a requested sibling."""
        for (title, rendition), seen in self._positions.items():
            if not wanted(title, rendition):
                continue
            sibling = next(iter(seen.values()))
            for position in range(self._last[title] + 1):
                if position not in seen:
                    yield ObjectInfo(title, rendition, position), sibling


class PastSizes:
    """Sizes of requested objects, and estimates for the positions nobody requested."""

    def __init__(self) -> None:
        self._at: dict[tuple[str, int], dict[str, int]] = {}  # (title, position) -> sizes
        self._ratios: dict[tuple[str, str], list[float]] = {}  # (of, to) -> size(of) / size(to)
        self._medians: dict[tuple[str, str], float] = {}

    def add(self, info: ObjectInfo, size: int) -> None:
        if info.position is None or size <= 0:
            return
        here = self._at.setdefault((info.title, info.position), {})
        if info.rendition in here:
            return
        for other, other_size in here.items():
            for pair, ratio in (
                ((info.rendition, other), size / other_size),
                ((other, info.rendition), other_size / size),
            ):
                samples = self._ratios.setdefault(pair, [])
                if len(samples) < RATIO_SAMPLES:
                    samples.append(ratio)
                    self._medians.pop(pair, None)
        here[info.rendition] = size

    def estimate(self, slot: ObjectInfo) -> int | None:
        """The slot's size from the same position in the title's other renditions."""
        if slot.position is None:
            return None
        here = self._at.get((slot.title, slot.position))
        if not here:
            return None
        guesses = []
        for other, size in here.items():
            ratio = self._median(slot.rendition, other) if other != slot.rendition else 1.0
            if ratio is not None:
                guesses.append(size * ratio)
        return max(1, round(statistics.median(guesses))) if guesses else None

    def _median(self, of: str, to: str) -> float | None:
        pair = (of, to)
        median = self._medians.get(pair)
        if median is None:
            samples = self._ratios.get(pair)
            if not samples:
                return None
            median = self._medians[pair] = statistics.median(samples)
        return median
