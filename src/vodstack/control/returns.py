"""Viewers who come back: tomorrow's requests that follow, object by object, from the days before.

A viewer who stops a title mid-way often resumes it on a later day ("continue watching")
where they stopped, on the same device: the segment they stopped at again, at the rendition
they were playing, then on. A title's popularity count does not say where; yesterday's
requests do. In one region's day of requests, for every (title, rendition) the count falls
from one segment to the next where viewings ended there:

    ends(p) = max(0, count(p) - count(p + 1))

and rises where viewings began mid-title (`starts(p) = max(0, count(p) - count(p - 1))`).
Tomorrow's requests from resumes, per object at position x of that (title, rendition):

    returning(x) = sum over lags L of rate(L) x sum over p <= x of ends_L(p) x keep^(x - p)

- rate(L): the share of the ends of L days ago (1 to `LAGS`) that came back as a mid-title
  start at the very same object (the same rendition and segment) on the day after them,
  learnt over the recorded days (counts decayed with the shape half-life). A trace without
  resumes learns a rate near 0 (a fresh mid-title start rarely lands on the segment where
  another viewing ended), so the term then adds next to nothing.
- keep: the chance a viewing goes on from one segment to the next, 1 - ends / requests over
  the catalogue's positions past the first `START_SPAN` (abandonment is a constant hazard
  past the first minutes).

A viewing that reached a title's end comes back (if at all) from its start: that is in the
title's viewings from the start, which the popularity model counts already. Only objects
already seen are forecast (their size is known; nothing of the future names them). Only
recorded days are used: `record_day` is the one way in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

from vodstack.control.objects import ObjectInfo

K = TypeVar("K", bound=Hashable)
LAGS = 3  # resumes counted up to this many days after the viewing stopped
START_SPAN = 4  # positions before this are starts from the beginning, not resumes
MIN_EXPECTED = 1e-3  # continuations smaller than this are left out of the forecast


class ReturningViewers(Generic[K]):
    """Learns where viewings stop and how many resume; forecasts the resumed requests."""

    def __init__(self, describe: Callable[[K], ObjectInfo], keep_shape: float) -> None:
        self._describe = describe
        self._keep_shape = keep_shape
        # region -> the ends of the last LAGS days, most recent first: object -> viewings
        self._ends: dict[str, list[dict[K, float]]] = {}
        self._matched = [0.0] * LAGS  # resumes seen per lag (decayed)
        self._offered = [0.0] * LAGS  # ends that could have resumed per lag (decayed)
        self._stops = 0.0  # mid-title ends over the catalogue (decayed)
        self._plays = 0.0  # mid-title requests over the catalogue (decayed)
        # (title, rendition) -> positions seen, with their keys
        self._ladder: dict[tuple[str, str], dict[int, K]] = {}
        self._last: dict[str, int] = {}  # title -> last position seen (its length)
        self._at_last: dict[str, float] = {}  # title -> requests seen at that position

    def record_day(self, counts: Mapping[str, Mapping[K, float]]) -> None:
        """One whole day of per-region request counts."""
        keep = self._keep_shape
        self._matched = [value * keep for value in self._matched]
        self._offered = [value * keep for value in self._offered]
        self._stops *= keep
        self._plays *= keep
        runs: dict[str, dict[tuple[str, str], dict[int, tuple[K, float]]]] = {}
        for region, objects in counts.items():
            by_run = runs[region] = {}
            for key, count in objects.items():
                info = self._describe(key)
                if info.position is None or not info.rendition:
                    continue
                run = (info.title, info.rendition)
                by_run.setdefault(run, {})[info.position] = (key, count)
                self._ladder.setdefault(run, {})[info.position] = key
                last = self._last.get(info.title, -1)
                if info.position > last:
                    self._last[info.title], self._at_last[info.title] = info.position, count
                elif info.position == last:
                    self._at_last[info.title] += count
        for region, by_run in runs.items():
            ends, starts = self._ends_and_starts(by_run)
            history = self._ends.setdefault(region, [])
            for lag, past in enumerate(history):
                self._offered[lag] += sum(past.values())
                self._matched[lag] += sum(
                    min(viewings, starts[key]) for key, viewings in past.items() if key in starts
                )
            history.insert(0, ends)
            del history[LAGS:]

    def _ends_and_starts(
        self, by_run: Mapping[tuple[str, str], Mapping[int, tuple[K, float]]]
    ) -> tuple[dict[K, float], dict[K, float]]:
        """Where one region's viewings of a day stopped and where they began mid-title.

        Counted per title over its renditions (a rendition switch falls in one rendition and
        rises in the next at the same point: not an end), then shared among the renditions
        by how much each fell (rose) there.
        """
        titles: dict[str, dict[int, float]] = {}
        for (title, _rendition), positions in by_run.items():
            totals = titles.setdefault(title, {})
            for position, (_key, count) in positions.items():
                totals[position] = totals.get(position, 0.0) + count
        falls: dict[tuple[str, int], list[tuple[K, float]]] = {}
        rises: dict[tuple[str, int], list[tuple[K, float]]] = {}
        for (title, _rendition), positions in by_run.items():
            for position, (key, count) in positions.items():
                after = positions.get(position + 1)
                fell = count - (after[1] if after else 0.0)
                if fell > 0:
                    falls.setdefault((title, position), []).append((key, fell))
                before = positions.get(position - 1)
                rose = count - (before[1] if before else 0.0)
                if rose > 0 and position >= START_SPAN:
                    rises.setdefault((title, position), []).append((key, rose))
        ends: dict[K, float] = {}
        starts: dict[K, float] = {}
        for title, totals in titles.items():
            # A stop at the furthest position ever seen is a viewing that reached the end,
            # once more than one request went there; one viewing alone may have stopped.
            last = self._last[title] if self._at_last[title] > 1 else self._last[title] + 1
            for position, count in totals.items():
                if position < START_SPAN:
                    continue
                stopped = count - totals.get(position + 1, 0.0)
                self._plays += count
                if stopped > 0 and position < last:
                    self._stops += stopped
                    _share(falls.get((title, position), []), stopped, ends)
                began = count - totals.get(position - 1, 0.0)
                if began > 0:
                    _share(rises.get((title, position), []), began, starts)
        return ends, starts

    def rates(self) -> list[float]:
        """Per lag (1 day, 2 days, ...), the share of ends that resumed at the same object."""
        return [m / o if o else 0.0 for m, o in zip(self._matched, self._offered, strict=True)]

    def expected_requests(self, region: str) -> dict[K, float]:
        """Tomorrow's requests per object in `region` from viewers resuming a title."""
        history = self._ends.get(region)
        if not history:
            return {}
        # Tomorrow, the ends of yesterday are 1 day old: they resume at lag 1's rate.
        weights = self.rates()
        keep = 1 - self._stops / self._plays if self._plays else 0.0
        result: dict[K, float] = {}
        for lag, ends in enumerate(history):
            weight = weights[lag]
            if weight <= 0 or not ends:
                continue
            self._continue(ends, weight, keep, result)
        return result

    def _continue(
        self, ends: Mapping[K, float], weight: float, keep: float, result: dict[K, float]
    ) -> None:
        """Adds each run's resumed viewings, carried along its positions with `keep`."""
        runs: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for key, viewings in ends.items():
            info = self._describe(key)
            position = info.position if info.position is not None else 0
            runs.setdefault((info.title, info.rendition), []).append((position, viewings))
        for run, stops in runs.items():
            ladder = self._ladder[run]
            stops.sort()
            following = sorted(position for position in ladder if position >= stops[0][0])
            carried, at, index = 0.0, stops[0][0], 0
            for position in following:
                carried *= keep ** (position - at)
                at = position
                while index < len(stops) and stops[index][0] <= position:
                    carried += weight * stops[index][1] * keep ** (position - stops[index][0])
                    index += 1
                if carried < MIN_EXPECTED and index >= len(stops):
                    break
                key = ladder[position]
                result[key] = result.get(key, 0.0) + carried


def _share(parts: list[tuple[K, float]], amount: float, into: dict[K, float]) -> None:
    """Deals `amount` out to `parts` in proportion to their weights."""
    total = sum(weight for _key, weight in parts)
    for key, weight in parts:
        into[key] = into.get(key, 0.0) + amount * weight / total
