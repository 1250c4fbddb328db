"""Player events, version 1: the wire format shared by the players, the gateway, the events
service and its consumers (docs/events.md).

Every event carries who (profile, stamped by the gateway), which play session and title, when
(the player's clock), and the player's state: position, rendition, bandwidth estimate, buffer.
The `type` field picks the event's own fields. A batch is validated event by event: a bad
event is answered with its fields named and the good ones of the same batch are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, TypeAdapter

SCHEMA_VERSION = 1
MAX_BATCH = 500  # the contract's ceiling; settings.events.max_batch may lower it

EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Unique per event")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._:-]{0,63}$")]


class BaseEvent(BaseModel):
    """What every event carries; each type adds its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    event_id: EventId
    # Optional on the wire from a player: the gateway stamps the signed-in profile over it.
    profile_id: int | None = Field(None, ge=1, le=2_147_483_647)
    session_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    title_id: int = Field(ge=1, le=2_147_483_647)
    at: datetime = Field(description="When it happened, on the player's clock")
    position_s: float = Field(ge=0, le=1e6)
    duration_s: float | None = Field(None, gt=0, le=1e6, description="The title's length")
    rendition: Name | None = None
    bandwidth_kbps: float | None = Field(None, ge=0, le=1e7)
    buffer_s: float | None = Field(None, ge=0, le=3600)
    # Splits for the telemetry (the gateway stamps region; edge and ABR algorithm are the
    # player's).
    region: Name | None = None
    edge: Name | None = None
    abr: Name | None = None


class HeartbeatEvent(BaseEvent):
    type: Literal["heartbeat"]


class PlayStartEvent(BaseEvent):
    type: Literal["play_start"]
    startup_ms: float = Field(ge=0, le=600_000, description="Press play to first frame")


class RebufferStartEvent(BaseEvent):
    type: Literal["rebuffer_start"]


class RebufferEndEvent(BaseEvent):
    type: Literal["rebuffer_end"]
    stall_ms: float = Field(ge=0, le=3_600_000)


class RenditionSwitchEvent(BaseEvent):
    type: Literal["rendition_switch"]
    from_rendition: Name | None = None
    to_rendition: Name


class EdgeSwitchEvent(BaseEvent):
    type: Literal["edge_switch"]
    from_edge: Name | None = None
    to_edge: Name


class ErrorEvent(BaseEvent):
    type: Literal["error"]
    code: Name
    message: str | None = Field(None, max_length=500)


class StopEvent(BaseEvent):
    type: Literal["stop"]
    completed: bool = False


class ExposureEvent(BaseModel):
    """A member saw a cell of an A/B experiment (docs/experiments.md). Not a player event: no
    play session, title or position; the gateway sends it when it serves the cell."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    type: Literal["exposure"]
    event_id: EventId
    profile_id: int | None = Field(None, ge=1, le=2_147_483_647)
    account_id: int = Field(ge=1, le=2_147_483_647)
    experiment: Name
    cell: Name
    at: datetime


AnyEvent = (
    HeartbeatEvent
    | PlayStartEvent
    | RebufferStartEvent
    | RebufferEndEvent
    | RenditionSwitchEvent
    | EdgeSwitchEvent
    | ErrorEvent
    | StopEvent
    | ExposureEvent
)
PlayerEvent = Annotated[AnyEvent, Field(discriminator="type")]
EVENT: TypeAdapter[AnyEvent] = TypeAdapter(PlayerEvent)  # type: ignore[arg-type, unused-ignore]


class EventType(StrEnum):
    HEARTBEAT = "heartbeat"
    PLAY_START = "play_start"
    REBUFFER_START = "rebuffer_start"
    REBUFFER_END = "rebuffer_end"
    RENDITION_SWITCH = "rendition_switch"
    EDGE_SWITCH = "edge_switch"
    ERROR = "error"
    STOP = "stop"
    EXPOSURE = "exposure"


class EventBatch(BaseModel):
    """Up to `MAX_BATCH` events. An item that is not a valid event does not fail the batch: it
    is kept as sent (the second branch) and answered `rejected` with its fields named."""

    events: list[Annotated[PlayerEvent | Any, Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=MAX_BATCH
    )


class RelayedEventBatch(BaseModel):
    """`EventBatch` as the gateway takes it: the same published schema, but the events are left
    as sent (only the batch's size is checked). The gateway stamps them and relays them; the
    events service validates each one, so an event is validated once, not once per hop (the
    gateway's second validation was a third of its CPU per batch)."""

    events: list[SkipValidation[PlayerEvent]] = Field(min_length=1, max_length=MAX_BATCH)


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # durably in the log
    DUPLICATE = "duplicate"  # this event id was accepted before: nothing added
    REJECTED = "rejected"  # invalid: see `errors`


class FieldError(BaseModel):
    field: str
    message: str


class EventResult(BaseModel):
    index: int = Field(ge=0, description="Position in the batch")
    event_id: str | None = None
    outcome: Outcome
    errors: list[FieldError] = []


class BatchResult(BaseModel):
    accepted: int = Field(ge=0)
    duplicates: int = Field(ge=0)
    rejected: int = Field(ge=0)
    results: list[EventResult]


def event_from_log(payload: bytes) -> AnyEvent:
    """An event as the events service wrote it to the log (consumers' side)."""
    return EVENT.validate_json(payload)


_EVENTS: TypeAdapter[list[AnyEvent]] = TypeAdapter(list[PlayerEvent])  # type: ignore[arg-type, unused-ignore]


def events_from_log(payloads: Sequence[bytes]) -> list[AnyEvent]:
    """Many payloads at once, in one pydantic-core call (a consumer's block of records).
    Raises `ValueError` (a `ValidationError` included) unless every payload is one event."""
    events = _EVENTS.validate_json(b"[" + b",".join(payloads) + b"]")
    if len(events) != len(payloads):  # a payload that is not one JSON value
        raise ValueError(f"{len(payloads)} payloads read as {len(events)} events")
    return events


class ConsumerLag(BaseModel):
    group: str
    lag: int = Field(ge=0, description="Events appended but not yet handled by this group")
