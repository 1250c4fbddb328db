"""HTTP routes of the events service. Plain `def`: the log's calls block (FastAPI's threadpool)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response

from vodstack.contracts.events import BatchResult, ConsumerLag, EventBatch
from vodstack.core.responses import model_json
from vodstack.services.events.service import EventsService


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _service(request: Request) -> EventsService:
    return cast(EventsService, request.app.state.events)


Service = Annotated[EventsService, Depends(_service)]

events = APIRouter(prefix="/v1/events", tags=["events"])
ROUTERS = (events,)


@events.post("")
def ingest(body: EventBatch, service: Service) -> BatchResult:
    """Append the batch's valid events (each once per event id); answer per event.

    429 `consumers_lagging` (with Retry-After) while a consumer group is too far behind.
    """
    return service.ingest(body.events)


@events.get("/lag", response_model=list[ConsumerLag])
def lag(service: Service) -> Response:
    """How many events each consumer group has still to handle."""
    return model_json([ConsumerLag(group=group, lag=lag) for group, lag in service.lags().items()])
