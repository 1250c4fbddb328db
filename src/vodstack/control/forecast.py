"""Tomorrow's requests per object and region, from decayed popularity counts of past days.

The model (documented in docs/cdn.md, "Pre-positioning"):

    expected(o, r) = demand(title(o), r) x share(o) x boost(title(o), r)

- demand(t, r): region r's requests for title t per day, a decayed mean over the days since
  r first saw t (half-life `half_life_days`): popularity churns daily, so recent days
  weigh most, and a title seen for one day is judged on that day alone, not diluted by the
  days before it existed.
- share(o): the object's part of its title's requests, over all regions and a longer
  half-life (`shape_half_life_days`): which renditions are watched and how far viewers get
  before abandoning change little from day to day and are learnt from more data. A title
  seen in few requests says little about its own shape, so its objects' shares are pulled
  towards the catalogue-wide share of their (rendition, segment number) with the weight of
  `shape_prior_requests` requests: share = (n(o) + k x pooled(q, p)) / (n(t) + k).
- demand from the events pipeline: when the planner knows a region's plays per title for the
  day (the popularity counts, `record_day(..., title_demand=...)`, already converted to
  requests), they replace the title's request count in `demand`; the objects' shares still
  come from the requests. Plays count every viewer, wherever the edges' logs are.
- boost: titles first seen in r within `new_release_days` days are multiplied by
  `new_release_boost` (launch peaks: a first, partial day understates what follows); 1.0, no
  boost, by default: measured, the first day's counts already carry the peak.

The position model (`position_model`, default on) replaces demand x share for objects whose
ids name a rendition and a segment number:

    expected(o, r) = starts(title(o), r) x rate(rendition(o), position(o)) x boost

- starts(t, r): viewings of t from its start in r per day, decayed like demand: the requests
  of its first `START_SPAN` positions / `START_SPAN` (a viewing from the start asks for each
  of them once, in whatever rendition it plays). A count of viewers, where a title's requests
  are dominated by how long its few viewers watched.
- rate(q, p): the catalogue's requests at (rendition q, position p) per viewing from the start,
  among titles whose last seen position is at least p (shape half-life): abandonment and the
  rendition mix learnt from every viewing instead of from this title's few.
Objects without a rendition and position, and titles never seen from their start, keep the
request model. Measured in docs/benchmarks.md ("Issue-shaped trace"): it lifts the pinned-only
replay by 3-4 points on the issue-shaped traces.

The resume term (`return_model`, default on) adds, object by object, the requests of viewers
resuming tomorrow where they stopped on the days before, at the resume rate learnt from the
trace (control/returns.py; about zero on traces without resumes).

Only days already recorded are used: `record_day` is the one way in, so nothing of the day
being forecast can leak into it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from vodstack.config.settings import FillPlanSettings
from vodstack.control.count_history import CountHistory
from vodstack.control.coverage import PositionCoverage, Unrequested
from vodstack.control.objects import ObjectInfo
from vodstack.control.returns import ReturningViewers

K = TypeVar("K", bound=Hashable)
# Requests at the first positions of a title measure how many viewings started there: each
# viewing from the start asks for each of them once, whatever rendition it plays.
START_SPAN = 4
T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class ForecastModel:
    half_life_days: float = 1.0
    shape_half_life_days: float = 7.0
    new_release_days: int = 2
    new_release_boost: float = 1.0
    shape_prior_requests: float = 20.0
    region_pooling: float = 0.0
    position_model: bool = True
    return_model: bool = True
    count_history: bool = True

    @classmethod
    def from_settings(cls, settings: FillPlanSettings) -> ForecastModel:
        return cls(
            settings.half_life_days, settings.shape_half_life_days,
            settings.new_release_days, settings.new_release_boost,
            settings.shape_prior_requests, settings.region_pooling, settings.position_model,
            settings.return_model, settings.count_history,
        )  # fmt: skip


class _RegionDemand(Generic[T]):
    """Decayed per-title request counts of one region, and when it first saw each title."""

    def __init__(self) -> None:
        self.decayed: dict[T, float] = {}
        self.starts: dict[T, float] = {}  # viewings from the start (position model)
        self.given: dict[T, float] = {}  # requests given as title demand (from plays)
        self.first_day: dict[T, int] = {}

    def copy(self) -> _RegionDemand[T]:
        other: _RegionDemand[T] = _RegionDemand()
        other.decayed, other.starts = dict(self.decayed), dict(self.starts)
        other.given, other.first_day = dict(self.given), dict(self.first_day)
        return other


class PopularityForecast(Generic[K]):
    """Counts per day in, expected requests per object and region out."""

    def __init__(self, model: ForecastModel, describe: Callable[[K], ObjectInfo]) -> None:
        self.model = model
        self._describe = describe
        self._keep = 0.5 ** (1 / model.half_life_days)
        self._keep_shape = 0.5 ** (1 / model.shape_half_life_days)
        self._regions: dict[str, _RegionDemand[str]] = {}
        self._object_counts: dict[K, float] = {}
        self._title_counts: dict[str, float] = {}
        self._info: dict[K, ObjectInfo] = {}
        self._pooled: dict[tuple[str, int], float] = {}  # (rendition, segment) -> requests
        self._pooled_total = 0.0
        self._title_starts: dict[str, float] = {}  # all regions, shape half-life
        self._last_position: dict[str, int] = {}
        self._coverage: PositionCoverage[K] = PositionCoverage()
        self._returns: ReturningViewers[K] | None = (
            ReturningViewers(describe, self._keep_shape) if model.return_model else None
        )
        # Objects whose ids name no segment: judged by their own history, calibrated.
        self._history: CountHistory[K] | None = (
            CountHistory(model.shape_half_life_days) if model.count_history else None
        )
        self.days = 0  # days recorded so far

    def record_day(
        self,
        counts: Mapping[str, Mapping[K, float]],
        title_demand: Mapping[str, Mapping[str, float]] | None = None,
        whole: bool = True,
    ) -> None:
        """One whole day of requests: object -> count, per region; optionally the day's
        requests per title and region from another source (plays x requests per play), which
        then stand for the titles it names. `whole=False`: a day so far, scaled up (where
        viewings stopped is then not yet known: the returning viewers are not taught)."""
        day = self.days
        if whole and self._returns is not None:
            self._returns.record_day(counts)
        self._decay()
        given = title_demand or {}
        self._record_given(given, day)
        unplaced: dict[str, dict[K, float]] = {}  # per region: objects with no position
        for region, objects in counts.items():
            demand = self._regions.setdefault(region, _RegionDemand())
            replaced = given.get(region, {})
            loose = unplaced[region] = {}
            for key, count in objects.items():
                info = self._info.get(key)
                if info is None:
                    info = self._info[key] = self._describe(key)
                title = info.title
                if info.position is None:
                    loose[key] = count
                else:
                    slot = (info.rendition, info.position)
                    self._pooled[slot] = self._pooled.get(slot, 0.0) + count
                    if info.position < START_SPAN:
                        start = count / START_SPAN
                        if title not in replaced:
                            demand.starts[title] = demand.starts.get(title, 0.0) + start
                        self._title_starts[title] = self._title_starts.get(title, 0.0) + start
                    if info.position > self._last_position.get(title, -1):
                        self._last_position[title] = info.position
                    self._coverage.add(key, info)
                self._pooled_total += count
                if title not in replaced:
                    demand.decayed[title] = demand.decayed.get(title, 0.0) + count
                    demand.first_day.setdefault(title, day)
                self._object_counts[key] = self._object_counts.get(key, 0.0) + count
                self._title_counts[title] = self._title_counts.get(title, 0.0) + count
        if self._history is not None:
            self._history.record_day(unplaced, whole)
        self.days += 1

    def with_partial_day(
        self, counts: Mapping[str, Mapping[K, int]], share_of_day: Mapping[str, float]
    ) -> PopularityForecast[K]:
        """A copy that has also seen today's requests so far, each region's scaled up to a
        whole day (`share_of_day[region]` of its day has passed); this one is left as it was.

        An intraday fill window plans from it: a title launched this morning or surging
        today is in its counts hours before the night's window could see it.
        """
        fork = copy.copy(self)
        fork._regions = {name: demand.copy() for name, demand in self._regions.items()}
        fork._last_position = dict(self._last_position)
        fork._coverage = self._coverage.copy()
        fork._history = self._history.copy() if self._history is not None else None
        # Everything else `record_day` writes, `_decay` first replaces with a new dict.
        fork.record_day(
            {region: {key: n / share_of_day[region] for key, n in objects.items()}
             for region, objects in counts.items() if region in share_of_day}, whole=False,
        )  # fmt: skip
        return fork

    def _record_given(self, given: Mapping[str, Mapping[str, float]], day: int) -> None:
        for region, titles in given.items():
            demand = self._regions.setdefault(region, _RegionDemand())
            for title, requests in titles.items():
                demand.decayed[title] = demand.decayed.get(title, 0.0) + requests
                demand.given[title] = demand.given.get(title, 0.0) + requests
                demand.first_day.setdefault(title, day)

    def _decay(self) -> None:
        keep, shape = self._keep, self._keep_shape
        for demand in self._regions.values():
            demand.decayed = {title: value * keep for title, value in demand.decayed.items()}
            demand.starts = {title: value * keep for title, value in demand.starts.items()}
            demand.given = {title: value * keep for title, value in demand.given.items()}
        self._title_starts = {title: value * shape for title, value in self._title_starts.items()}
        self._object_counts = {key: value * shape for key, value in self._object_counts.items()}
        self._title_counts = {title: value * shape for title, value in self._title_counts.items()}
        self._pooled = {slot: value * shape for slot, value in self._pooled.items()}
        self._pooled_total *= shape

    def title_demand(self, region: str) -> dict[str, float]:
        """Expected requests per title in `region` tomorrow (boost included)."""
        own = self._region_means(region)
        pooling = self.model.region_pooling
        if not pooling or len(self._regions) < 2:
            return own
        # A title's few requests in one region are a noisy sample of its popularity there;
        # its requests in every region, scaled to this region's share of all requests, are a
        # larger one (tastes differ by region, so this is a pull, not a replacement).
        everywhere: dict[str, float] = {}
        for name in self._regions:
            for title, mean in (own if name == region else self._region_means(name)).items():
                everywhere[title] = everywhere.get(title, 0.0) + mean
        total = sum(everywhere.values())
        part = sum(own.values()) / total if total else 0.0
        return {
            title: (1 - pooling) * own.get(title, 0.0) + pooling * part * mean
            for title, mean in everywhere.items()
        }

    def _region_means(self, region: str, starts: bool = False) -> dict[str, float]:
        demand = self._regions.get(region)
        if demand is None:
            return {}
        model, today = self.model, self.days
        result = {}
        for title, decayed in (self._starts(demand) if starts else demand.decayed).items():
            age = today - demand.first_day[title]  # >= 1: days it has been seen
            mean = decayed * (1 - self._keep) / (1 - self._keep**age)
            boost = model.new_release_boost if age <= model.new_release_days else 1.0
            result[title] = mean * boost
        return result

    def expected_requests(self, region: str) -> dict[K, float]:
        """Expected requests per object in `region` tomorrow; objects never seen are absent."""
        result = self._popularity(region)
        if self._returns is not None:
            for key, value in self._returns.expected_requests(region).items():
                result[key] = result.get(key, 0.0) + value
        return result

    def expected_parts(self, region: str) -> tuple[dict[K, float], dict[K, float]]:
        """`expected_requests` in its two terms: (popularity, viewers resuming)."""
        returning = self._returns.expected_requests(region) if self._returns is not None else {}
        return self._popularity(region), returning

    def _popularity(self, region: str) -> dict[K, float]:
        model = self.model
        result = self._by_position(region) if model.position_model else self._by_request(region)
        if self._history is not None:
            result.update(self._history.expected_requests(region))
        return result

    def _by_request(self, region: str) -> dict[K, float]:
        demand = self.title_demand(region)
        infos, title_counts, pooled = self._info, self._title_counts, self._pooled
        prior = self.model.shape_prior_requests / max(self._pooled_total, 1e-9)
        result = {}
        for key, count in self._object_counts.items():
            info = infos[key]
            per_day = demand.get(info.title)
            if not per_day:
                continue
            if info.position is None:
                result[key] = per_day * count / title_counts[info.title]
                continue
            pulled = prior * pooled.get((info.rendition, info.position), 0.0)
            share = (count + pulled) / (title_counts[info.title] + self.model.shape_prior_requests)
            result[key] = per_day * share
        return result

    def _starts(self, demand: _RegionDemand[str]) -> dict[str, float]:
        """Decayed viewings from the start per title; demand given in requests (from plays)
        counts at the title's own starts per request, the catalogue's if it has none."""
        if not demand.given:
            return demand.starts
        counts, starts = self._title_counts, self._title_starts
        overall = sum(starts.values()) / max(sum(counts.values()), 1e-9)
        result = dict(demand.starts)
        for title, requests in demand.given.items():
            seen, started = counts.get(title, 0.0), starts.get(title, 0.0)
            ratio = started / seen if seen and started else overall
            result[title] = result.get(title, 0.0) + requests * ratio
        return result

    def _by_position(self, region: str) -> dict[K, float]:
        """The position model: viewings from the start x requests per viewing at (rendition,
        position), pooled over the catalogue among titles at least that long."""
        starts = self._region_means(region, starts=True)
        requests = self.title_demand(region)
        eligible = self._eligible_starts()
        last = len(eligible) - 1
        result = {}
        for key, count in self._object_counts.items():
            info = self._info[key]
            if info.position is None or info.title not in starts:
                per_day = requests.get(info.title)
                if per_day:
                    result[key] = per_day * count / self._title_counts[info.title]
                continue
            base = eligible[min(info.position, last)]
            rate = self._pooled.get((info.rendition, info.position), 0.0) / base if base else 0.0
            result[key] = starts[info.title] * rate
        return result

    def unrequested(self, region: str, floor: float) -> list[Unrequested[K]]:
        """Positions of titles seen from their start in `region` that nobody requested (up to
        the title's last requested position, in each rendition it was requested in), valued
        by the position model and kept if expected at least `floor` requests tomorrow."""
        if not self.model.position_model:
            return []
        starts = self._region_means(region, starts=True)
        eligible = self._eligible_starts()
        if not starts or not eligible:
            return []
        last = len(eligible) - 1
        rates: dict[str, dict[int, float]] = {}
        for (rendition, position), count in self._pooled.items():
            base = eligible[min(position, last)]
            if base and count:
                rates.setdefault(rendition, {})[position] = count / base
        best = {rendition: max(by_position.values()) for rendition, by_position in rates.items()}

        def wanted(title: str, rendition: str) -> bool:
            # A title whose best position in this rendition is worth too little: none is.
            return title in starts and starts[title] * best.get(rendition, 0.0) >= floor

        found = []
        for slot, sibling in self._coverage.gaps(wanted):
            rate = rates[slot.rendition].get(slot.position or 0, 0.0)
            value = starts[slot.title] * rate
            if value >= floor:
                found.append(Unrequested(slot, sibling, value))
        return found

    def _eligible_starts(self) -> list[float]:
        """Per position p: starts of titles whose last seen position is >= p."""
        if not self._last_position:
            return []
        by_last = [0.0] * (max(self._last_position.values()) + 2)
        for title, value in self._title_starts.items():
            by_last[self._last_position.get(title, 0)] += value
        eligible = by_last[:]
        for position in range(len(eligible) - 2, -1, -1):
            eligible[position] += eligible[position + 1]
        return eligible
