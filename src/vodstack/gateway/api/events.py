"""`/api/events`: the players' event batches, forwarded to the events service.

The gateway stamps what only it knows on every event: the signed-in profile (a player cannot
write into another profile's history) and the client's region (for popularity per region).
Events it cannot read as events travel on untouched, so the service names their bad fields.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, ValidationError

from vodstack.contracts.events import BatchResult, EventBatch, ExposureEvent
from vodstack.core.errors import Invalid
from vodstack.gateway.api.docs import errors
from vodstack.gateway.api.playback import viewer_region
from vodstack.gateway.deps import StateDep, UpstreamsDep, ViewerDep

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", response_model=BatchResult, responses=errors(401, 403, 409, 422, 429))
async def send_events(
    body: EventBatch, request: Request, viewer: ViewerDep, state: StateDep, clients: UpstreamsDep
) -> BatchResult:
    """Send a batch of player events (heartbeats, QoE) as the current profile.

    Answers per event: `accepted`, `duplicate` (its event id was accepted before) or `rejected`
    with the fields at fault; the good events of a batch are kept whatever the bad ones.
    429 `consumers_lagging` with Retry-After: keep the events and send them again later.
    """
    if any(isinstance(item, ExposureEvent) for item in body.events):
        raise Invalid(
            "Exposure events are recorded by the platform when it serves an experiment's cell; "
            "players cannot send them.",
            code="exposure_not_allowed",
        )
    stamp = {
        "profile_id": viewer.profile.id,
        "region": viewer_region(request, state.settings, None),
    }
    return await clients.events.ingest([_stamped(item, stamp) for item in body.events])


@router.post("/beacon", response_model=BatchResult, responses=errors(401, 403, 409, 422, 429))
async def send_beacon(
    events: Annotated[str, Form(description="The batch, as the JSON body of POST /api/events")],
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    clients: UpstreamsDep,
) -> BatchResult:
    """The same as `POST /api/events`, as a form: what `navigator.sendBeacon` can send when a
    page is hidden. A beacon cannot set headers, so the CSRF token travels in the
    `csrf_token` field, like every form's."""
    try:
        body = EventBatch.model_validate_json(events)
    except ValidationError as exc:
        raise Invalid(f"events: {exc.errors()[0]['msg']}", code="invalid") from None
    return await send_events(body, request, viewer, state, clients)


def _stamped(item: Any, stamp: dict[str, Any]) -> Any:
    if isinstance(item, BaseModel):
        return item.model_copy(update=stamp)
    if isinstance(item, dict):
        return {**item, **stamp}
    return item
