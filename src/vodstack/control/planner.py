"""The fill planner: one fill window for one region, forecast -> placement -> fill orders.

One implementation for every user: the offline replay (`vodstack cache evaluate
--prefill`), `vodstack cache plan` (keys are object numbers there) and, once it runs as a
process, the live planner (keys edge paths), so what the replay measures is what the edges
would get. It learns only through `record_day`.

With `unrequested` on and a `SegmentCatalogue`, the forecast also names positions of known
titles nobody has requested (control/coverage.py); the catalogue gives them keys and sizes
(estimated from the past offline, listed by the origin live).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from vodstack.config.settings import FillPlanSettings
from vodstack.control.coverage import SegmentCatalogue
from vodstack.control.demand_forecast import DemandForecast, build_forecast
from vodstack.control.fills import FillSchedule, schedule
from vodstack.control.objects import ObjectInfo
from vodstack.control.placement import choose, spread

K = TypeVar("K", bound=Hashable)


@dataclass
class RegionPlan(Generic[K]):
    """What each edge of a region should hold after this window, and how to get there."""

    region: str
    edges: dict[str, list[K]]
    expected: dict[K, float]  # expected requests tomorrow of every planned object
    fills: FillSchedule[K]


class FillPlanner(Generic[K]):
    """Learns daily request counts; plans each region's edges for the next day."""

    def __init__(
        self,
        settings: FillPlanSettings,
        describe: Callable[[K], ObjectInfo],
        size_of: Callable[[K], int],
        segments: SegmentCatalogue[K] | None = None,
    ) -> None:
        self.settings = settings
        self._describe = describe
        self._size_of = size_of
        self.segments = segments
        self.forecast: DemandForecast[K] = build_forecast(settings, describe)

    def _title_of(self, key: K) -> str:
        return self._describe(key).title

    @property
    def fill_cap_bytes(self) -> int:
        """What one edge may fetch in one window (the bandwidth cap over the window)."""
        return int(self.settings.rate_bytes_per_s * self.settings.window_hours * 3600)

    def record_day(
        self,
        counts: Mapping[str, Mapping[K, int]],
        title_demand: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """A whole day of requests, object -> count per region (the planner's only input),
        and optionally the day's requests per title and region from the popularity counts."""
        self.forecast.record_day(counts, title_demand)

    def expected(self, region: str, forecast: DemandForecast[K] | None = None) -> dict[K, float]:
        """Expected requests tomorrow per object in `region`, by `forecast` (default: this
        planner's), with the unrequested positions it names when `unrequested` is on."""
        forecast = forecast or self.forecast
        result = forecast.expected_requests(region)
        if self.segments is None or not self.settings.unrequested:
            return result
        for slot, sibling, value in forecast.unrequested(
            region, self.settings.unrequested_min_requests
        ):
            key = self.segments.resolve(slot, sibling)
            if key is not None and key not in result:
                result[key] = value
        return result

    def plan_region(
        self,
        region: str,
        edges: Sequence[str],
        capacity_per_edge: int,
        holdings: Mapping[str, set[K]],
        share: float | None = None,
        expected: Mapping[K, float] | None = None,
    ) -> RegionPlan[K]:
        """Contents for each of `edges` and the fills to reach them from `holdings`.

        The plan takes `share` of each edge (default: the configured `planned_share`) and
        ranks by `expected` requests (default: the forecast; the replay's clairvoyant
        ceiling passes the true ones).
        """
        share = self.settings.planned_share if share is None else share
        per_edge = int(capacity_per_edge * share)
        if expected is None:
            expected = self.expected(region)
        chosen = choose(expected, self._size_of, per_edge * len(edges))
        placed = spread(chosen, self._title_of, self._size_of, edges, per_edge)
        fills = schedule(placed, holdings, self._size_of, self.fill_cap_bytes)
        planned = {key: expected[key] for keys in placed.values() for key in keys}
        return RegionPlan(region, placed, planned, fills)
