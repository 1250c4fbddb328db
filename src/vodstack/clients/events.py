"""Typed client of the events service."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from vodstack.contracts.events import BatchResult, ConsumerLag
from vodstack.core.http import ServiceClient

_lags = TypeAdapter(list[ConsumerLag])


class EventsClient(ServiceClient):
    service = "events"

    async def ingest(self, events: list[Any]) -> BatchResult:
        """Send a batch: each item a validated event (a model) or the raw JSON a player sent."""
        body = {"events": [_json(item) for item in events]}
        return await self.send_model("POST", "/v1/events", BatchResult, json=body)

    async def lags(self) -> list[ConsumerLag]:
        return await self.get_as("/v1/events/lag", _lags)


def _json(item: Any) -> Any:
    dump = getattr(item, "model_dump", None)
    return dump(mode="json", exclude_none=True) if dump is not None else item
