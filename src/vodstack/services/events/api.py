"""HTTP routes of the events service."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.events import BatchResult, ConsumerLag, EventBatch
from vodstack.core.answer_cache import good_until
from vodstack.core.responses import model_json
from vodstack.services.events.service import EventsService


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _service(request: Request) -> EventsService:
    return cast(EventsService, request.app.state.events)


Service = Annotated[EventsService, Depends(_service)]

events = APIRouter(prefix="/v1/events", tags=["events"])
ROUTERS = (events,)

# The body is read as bytes and validated by the service in one pydantic-core call (FastAPI's
# own body handling would decode it with `json` and build a model per event first); the
# published schema is still `EventBatch`'s.
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
    }
}
SCHEMAS = (EventBatch,)  # for the app's OpenAPI components (app.py)


@events.post("", response_model=BatchResult, openapi_extra=_BATCH_BODY)
async def ingest(request: Request, service: Service) -> Response:
    """Append the batch's valid events (each once per event id); answer per event.

    422 when the body is not a batch (fields named); a bad event is `rejected` on its own.
    429 `consumers_lagging` (with Retry-After) while a consumer group is too far behind.
    """
    body = await request.body()
    # One thread hop for validation and the log's (blocking) append together.
    answer = await run_in_threadpool(service.ingest_json, body)
    return Response(answer, media_type="application/json")


@events.get("/lag", response_model=list[ConsumerLag])
async def lag(service: Service, request: Request) -> Response:
    """How many events each consumer group has still to handle (read at most
    `events.lag_check_s` ago)."""
    # Lags read less than a second ago answer on the loop; reading the log (which may block)
    # takes a thread. The thread hop cost more CPU than the rest of the request.
    found = service.fresh_lags()
    if found is None:
        found = await run_in_threadpool(service.lags)
    lags, fresh_until = found
    # Replayed (app.py) no longer than the gate would have kept them: the same staleness bound.
    good_until(request.scope, fresh_until)
    return model_json([ConsumerLag(group=group, lag=lag) for group, lag in lags.items()])
