"""`/api/events`: the players' event batches, forwarded to the events service.

The gateway stamps what only it knows on every event: the signed-in profile (a player cannot
write into another profile's history) and the client's region (for popularity per region).
The events travel on as sent (only stamped): the events service validates each one, once, and
names the bad fields; the gateway passes its answer back without decoding it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from vodstack.contracts.events import BatchResult, EventType, RelayedEventBatch
from vodstack.core.errors import Invalid
from vodstack.gateway.api.docs import errors
from vodstack.gateway.api.playback import viewer_region
from vodstack.gateway.deps import StateDep, UpstreamsDep, ViewerDep

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", response_model=BatchResult, responses=errors(401, 403, 409, 422, 429))
async def send_events(
    body: RelayedEventBatch,
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    clients: UpstreamsDep,
) -> Response:
    """Send a batch of player events (heartbeats, QoE) as the current profile.

    Answers per event: `accepted`, `duplicate` (its event id was accepted before) or `rejected`
    with the fields at fault; the good events of a batch are kept whatever the bad ones.
    429 `consumers_lagging` with Retry-After: keep the events and send them again later.
    """
    # Items are relayed unvalidated (the events service validates them): read the type as sent.
    if any(_type_of(item) == EventType.EXPOSURE.value for item in body.events):
        raise Invalid(
            "Exposure events are recorded by the platform when it serves an experiment's cell; "
            "players cannot send them.",
            code="exposure_not_allowed",
        )
    stamp = {
        "profile_id": viewer.profile.id,
        "region": viewer_region(request, state.settings, None),
    }
    answer = await clients.events.ingest_relayed([_stamped(item, stamp) for item in body.events])
    # Already a `BatchResult` (the service's own response model): no decode and re-encode.
    return Response(answer, media_type="application/json")


@router.post("/beacon", response_model=BatchResult, responses=errors(401, 403, 409, 422, 429))
async def send_beacon(
    events: Annotated[str, Form(description="The batch, as the JSON body of POST /api/events")],
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    clients: UpstreamsDep,
) -> Response:
    """The same as `POST /api/events`, as a form: what `navigator.sendBeacon` can send when a
    page is hidden. A beacon cannot set headers, so the CSRF token travels in the
    `csrf_token` field, like every form's."""
    try:
        body = RelayedEventBatch.model_validate_json(events)
    except ValidationError as exc:
        raise Invalid(f"events: {exc.errors()[0]['msg']}", code="invalid") from None
    return await send_events(body, request, viewer, state, clients)


def _type_of(item: Any) -> object:
    return item.get("type") if isinstance(item, dict) else getattr(item, "type", None)


def _stamped(item: Any, stamp: dict[str, Any]) -> Any:
    if isinstance(item, dict):
        return {**item, **stamp}
    return item
