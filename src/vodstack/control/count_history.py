"""Tomorrow's requests of an object from its own request history, calibrated on past nights.

Where an id names no segment (hashes, numbers, file paths), an object can be judged only by its
own requests. The request model's rate ("requests per day since first seen") ranks an object
seen once yesterday level with one asked for every day of the week; on traces where most
objects seen once are never asked for again (one-timers), that fills the plan with them.
How much a history says differs by trace, and the trace's own past answers it: each night,
every object a region has seen gets a signature of its history (decayed count, days since
first seen, yesterday's count), and the next day's requests of the objects sharing that
signature, averaged over the nights already answered, are the forecast for an object with
it. An empirical-Bayes estimate with no assumed popularity law: a trace of one-timers
teaches that one request says little, a trace of steady hits that it says a lot.

- A signature seen on fewer than `MIN_OBJECTS` objects falls back to a coarser one (the
  decayed count and the age, then the count alone); with none, the caller keeps its model.
- Only whole days teach (a trace's first, partial day would teach the wrong scale), and only
  days already recorded: `record_day` is the one way in, so the day being forecast never
  reaches the table.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Signature = tuple[int, ...]

MIN_OBJECTS = 30  # objects behind a table cell before its mean is believed
MAX_AGE = 7  # days since first seen, capped: older histories are alike
# A recorded day with fewer requests than this share of the next is a partial one.
WHOLE_DAY = 0.5


def bucket(value: float) -> int:
    """Half-octave bins: 0 for none, then 1, 2, ... for counts from a small fraction up."""
    if value <= 0:
        return 0
    return max(1, 20 + math.floor(2 * math.log2(value)))


class _Region(Generic[K]):
    def __init__(self) -> None:
        self.decayed: dict[K, float] = {}
        self.first_day: dict[K, int] = {}
        self.last: dict[K, float] = {}  # the last recorded day's requests
        self.last_requests = 0.0  # that day's requests in all (0: a partial day, teaches nothing)
        self.table: dict[Signature, list[float]] = {}  # signature -> [requests, objects]

    def copy(self) -> _Region[K]:
        other: _Region[K] = _Region()
        other.decayed, other.first_day = dict(self.decayed), dict(self.first_day)
        other.last, other.last_requests = dict(self.last), self.last_requests
        other.table = self.table  # only whole days add to it, and a fork records none
        return other


class CountHistory(Generic[K]):
    """Requests per object and region, day by day in; calibrated expected requests out."""

    def __init__(self, half_life_days: float) -> None:
        self._keep = 0.5 ** (1 / half_life_days)
        self._regions: dict[str, _Region[K]] = {}
        self.days = 0

    def copy(self) -> CountHistory[K]:
        other: CountHistory[K] = CountHistory(1.0)
        other._keep, other.days = self._keep, self.days
        other._regions = {name: region.copy() for name, region in self._regions.items()}
        return other

    def record_day(self, counts: Mapping[str, Mapping[K, float]], whole: bool = True) -> None:
        """One day of requests per region (`whole=False`: a day so far, scaled up, which
        moves the histories but teaches nothing)."""
        day = self.days
        for name, objects in counts.items():
            region = self._regions.setdefault(name, _Region())
            requests = float(sum(objects.values()))
            if whole and region.last_requests >= WHOLE_DAY * requests > 0:
                # The histories are still last night's: answered by this day's requests.
                _learn(region, self._signatures(region, day), objects)
            keep = self._keep
            region.decayed = {key: value * keep for key, value in region.decayed.items()}
            region.last = {}
            for key, count in objects.items():
                region.decayed[key] = region.decayed.get(key, 0.0) + count
                region.first_day.setdefault(key, day)
                region.last[key] = count
            region.last_requests = requests if whole else 0.0
        self.days += 1

    def expected_requests(self, region: str) -> dict[K, float]:
        """Calibrated requests tomorrow for the objects `region` has seen whose signature the
        past nights answered; empty until a whole night has been answered."""
        state = self._regions.get(region)
        if state is None or not state.table:
            return {}
        table, result = state.table, {}
        for key, signature in self._signatures(state, self.days).items():
            for level in (signature, signature[:2], signature[:1]):
                cell = table.get(level)
                if cell is not None and cell[1] >= MIN_OBJECTS:
                    result[key] = cell[0] / cell[1]
                    break
        return result

    @staticmethod
    def _signatures(region: _Region[K], day: int) -> dict[K, Signature]:
        """Every known object's signature on the night before `day`."""
        first, last = region.first_day, region.last
        return {
            key: (bucket(decayed), min(day - first[key], MAX_AGE), bucket(last.get(key, 0.0)))
            for key, decayed in region.decayed.items()
        }


def _learn(
    region: _Region[K], signatures: Mapping[K, Signature], answers: Mapping[K, float]
) -> None:
    """Add last night's signatures, answered by this day's requests, to the region's table."""
    table = region.table
    for key, signature in signatures.items():
        requests = float(answers.get(key, 0.0))
        for level in (signature, signature[:2], signature[:1]):
            cell = table.get(level)
            if cell is None:
                table[level] = [requests, 1.0]
            else:
                cell[0] += requests
                cell[1] += 1.0
