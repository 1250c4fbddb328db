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
  `new_release_boost` (launch peaks: a first, partial day understates what follows).

Only days already recorded are used: `record_day` is the one way in, so nothing of the day
being forecast can leak into it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from vodstack.config.settings import FillPlanSettings
from vodstack.control.objects import ObjectInfo

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class ForecastModel:
    half_life_days: float = 1.0
    shape_half_life_days: float = 7.0
    new_release_days: int = 2
    new_release_boost: float = 1.5
    shape_prior_requests: float = 20.0
    region_pooling: float = 0.0

    @classmethod
    def from_settings(cls, settings: FillPlanSettings) -> ForecastModel:
        return cls(
            settings.half_life_days, settings.shape_half_life_days,
            settings.new_release_days, settings.new_release_boost,
            settings.shape_prior_requests, settings.region_pooling,
        )  # fmt: skip


class _RegionDemand(Generic[T]):
    """Decayed per-title request counts of one region, and when it first saw each title."""

    def __init__(self) -> None:
        self.decayed: dict[T, float] = {}
        self.first_day: dict[T, int] = {}


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
        self.days = 0  # days recorded so far

    def record_day(
        self,
        counts: Mapping[str, Mapping[K, int]],
        title_demand: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """One whole day of requests: object -> count, per region; optionally the day's
        requests per title and region from another source (plays x requests per play), which
        then stand for the titles it names."""
        day = self.days
        self._decay()
        given = title_demand or {}
        for region, titles in given.items():
            demand = self._regions.setdefault(region, _RegionDemand())
            for title, requests in titles.items():
                demand.decayed[title] = demand.decayed.get(title, 0.0) + requests
                demand.first_day.setdefault(title, day)
        for region, objects in counts.items():
            demand = self._regions.setdefault(region, _RegionDemand())
            replaced = given.get(region, {})
            for key, count in objects.items():
                info = self._info.get(key)
                if info is None:
                    info = self._info[key] = self._describe(key)
                title = info.title
                if info.position is not None:
                    slot = (info.rendition, info.position)
                    self._pooled[slot] = self._pooled.get(slot, 0.0) + count
                self._pooled_total += count
                if title not in replaced:
                    demand.decayed[title] = demand.decayed.get(title, 0.0) + count
                    demand.first_day.setdefault(title, day)
                self._object_counts[key] = self._object_counts.get(key, 0.0) + count
                self._title_counts[title] = self._title_counts.get(title, 0.0) + count
        self.days += 1

    def _decay(self) -> None:
        keep, shape = self._keep, self._keep_shape
        for demand in self._regions.values():
            demand.decayed = {title: value * keep for title, value in demand.decayed.items()}
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

    def _region_means(self, region: str) -> dict[str, float]:
        demand = self._regions.get(region)
        if demand is None:
            return {}
        model, today = self.model, self.days
        result = {}
        for title, decayed in demand.decayed.items():
            age = today - demand.first_day[title]  # >= 1: days it has been seen
            mean = decayed * (1 - self._keep) / (1 - self._keep**age)
            boost = model.new_release_boost if age <= model.new_release_days else 1.0
            result[title] = mean * boost
        return result

    def expected_requests(self, region: str) -> dict[K, float]:
        """Expected requests per object in `region` tomorrow; objects never seen are absent."""
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
