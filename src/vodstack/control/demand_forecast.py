"""The forecast a fill plan ranks by: what every forecast offers, and the setting that picks one.

Two implementations: the hand-built `PopularityForecast` (control/forecast.py) and the
`LearnedForecast` (control/learned_forecast.py) that fits a small regression on the past days
with the former's value among its inputs. Both learn only through `record_day` (whole days of
per-region counts), so the planner, the replay and the live planner take either unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Protocol, TypeVar

from vodstack.config.settings import FillPlanSettings, ForecastKind
from vodstack.control.coverage import Unrequested
from vodstack.control.forecast import ForecastModel, PopularityForecast
from vodstack.control.learned_forecast import LearnedForecast
from vodstack.control.objects import ObjectInfo

K = TypeVar("K", bound=Hashable)


class DemandForecast(Protocol[K]):
    """Counts per day in, expected requests per object and region tomorrow out."""

    @property
    def days(self) -> int:
        """Days recorded so far."""
        ...

    def record_day(
        self,
        counts: Mapping[str, Mapping[K, float]],
        title_demand: Mapping[str, Mapping[str, float]] | None = None,
        whole: bool = True,
    ) -> None: ...

    def with_partial_day(
        self, counts: Mapping[str, Mapping[K, int]], share_of_day: Mapping[str, float]
    ) -> DemandForecast[K]: ...

    def title_demand(self, region: str) -> dict[str, float]: ...

    def expected_requests(self, region: str) -> dict[K, float]: ...

    def unrequested(self, region: str, floor: float) -> list[Unrequested[K]]:
        """Positions of known titles nobody requested, worth at least `floor` requests
        tomorrow (control/coverage.py); empty without the position model."""
        ...


def build_forecast(
    settings: FillPlanSettings, describe: Callable[[K], ObjectInfo]
) -> DemandForecast[K]:
    """The forecast `settings.forecast` names, with the model's constants from `settings`."""
    model = ForecastModel.from_settings(settings)
    if settings.forecast is ForecastKind.LEARNED:
        return LearnedForecast(model, describe)
    return PopularityForecast(model, describe)
