"""Typed client of the telemetry service."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.telemetry import Plays, SeriesPoint, Split
from vodstack.core.http import ServiceClient

_series = TypeAdapter(list[SeriesPoint])
_plays = TypeAdapter(list[Plays])


class TelemetryClient(ServiceClient):
    service = "telemetry"

    async def series(self, window_s: int, split: Split) -> list[SeriesPoint]:
        params = {"window_s": window_s, "split": split.value}
        return await self.get_as("/v1/telemetry/series", _series, params=params)

    async def plays(self, since_hour: int = 0) -> list[Plays]:
        return await self.get_as("/v1/popularity", _plays, params={"since_hour": since_hour})
