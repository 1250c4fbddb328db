"""Tomorrow's requests per object and region, from decayed popularity counts of past days.

The model (documented in docs/cdn.md, "Pre-positioning"):

    expected(o, r) = demand(title(o), r) x share(o) x boost(title(o), r)

- demand(t, r): region r's requests for title t per day, a decayed mean over the days since
  r first saw t (half-life `half_life_days`): popularity churns daily, so recent days
  weigh most, and a title seen for one day is judged on that day alone, not diluted by the
  days before it existed.
- share(o): the object's part of its title's requests, over all regions and a longer
  half-life (`shape_half_life_days`): which renditions are watched and how far viewers get
  before abandoning change little from day to day and are learnt from more data.
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

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class ForecastModel:
    half_life_days: float = 1.0
    shape_half_life_days: float = 7.0
    new_release_days: int = 2
    new_release_boost: float = 1.5

    @classmethod
    def from_settings(cls, settings: FillPlanSettings) -> ForecastModel:
        return cls(
            settings.half_life_days, settings.shape_half_life_days,
            settings.new_release_days, settings.new_release_boost,
        )  # fmt: skip


class _RegionDemand(Generic[T]):
    """Decayed per-title request counts of one region, and when it first saw each title."""

    def __init__(self) -> None:
        self.decayed: dict[T, float] = {}
        self.first_day: dict[T, int] = {}


class PopularityForecast(Generic[K, T]):
    """Counts per day in, expected requests per object and region out."""

    def __init__(self, model: ForecastModel, title_of: Callable[[K], T]) -> None:
        self.model = model
        self._title_of = title_of
        self._keep = 0.5 ** (1 / model.half_life_days)
        self._keep_shape = 0.5 ** (1 / model.shape_half_life_days)
        self._regions: dict[str, _RegionDemand[T]] = {}
        self._object_counts: dict[K, float] = {}
        self._title_counts: dict[T, float] = {}
        self._titles: dict[K, T] = {}
        self.days = 0  # days recorded so far

    def record_day(self, counts: Mapping[str, Mapping[K, int]]) -> None:
        """One whole day of requests: object -> count, per region."""
        day = self.days
        self._decay()
        for region, objects in counts.items():
            demand = self._regions.setdefault(region, _RegionDemand())
            for key, count in objects.items():
                title = self._titles.get(key)
                if title is None:
                    title = self._titles[key] = self._title_of(key)
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

    def title_demand(self, region: str) -> dict[T, float]:
        """Expected requests per title in `region` tomorrow (boost included)."""
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
        titles, title_counts = self._titles, self._title_counts
        result = {}
        for key, count in self._object_counts.items():
            title = titles[key]
            per_day = demand.get(title)
            if per_day:
                result[key] = per_day * count / title_counts[title]
        return result
