"""Ingest: validate each event of a batch on its own, then append the valid ones in one go.

The log's dedup id is `{profile}:{event id}`, so a batch sent twice (a player retrying after a
lost answer) adds nothing the second time, and one profile cannot shadow another's event ids.

The hot path is one pydantic-core call for the whole body (`_STRICT`, every item an event) and
an answer encoded straight from plain dicts: per-event Python work is one dump for the log.
Only a batch with a bad item takes the slow path, which validates item by item so the bad ones
are named and the good ones kept (the answer is the same either way).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import to_json

from vodstack.config.settings import EventsSettings
from vodstack.contracts.events import (
    EVENT,
    MAX_BATCH,
    AnyEvent,
    BaseEvent,
    EventBatch,
    ExposureEvent,
    FieldError,
    Outcome,
    PlayerEvent,
)
from vodstack.core.errors import Invalid, ServiceUnavailable
from vodstack.events.log import Appended, EventLog, LogUnavailable
from vodstack.services.events.lag import LagGate

# Already-parsed events (the gateway's own client sends models, not dicts).
_EVENTS = (BaseEvent, ExposureEvent)


class _StrictBatch(BaseModel):
    """`EventBatch` when every item is an event: what nearly every batch is."""

    events: list[PlayerEvent] = Field(min_length=1, max_length=MAX_BATCH)


_STRICT: TypeAdapter[_StrictBatch] = TypeAdapter(_StrictBatch)
_ACCEPTED, _DUPLICATE, _REJECTED = (o.value for o in Outcome)


class EventsService:
    def __init__(self, log: EventLog, config: EventsSettings, gate: LagGate) -> None:
        self.log = log
        self._config = config
        self.gate = gate

    def ingest_json(self, body: bytes) -> bytes:
        """A batch's JSON body in, its `BatchResult` as JSON out. 422 (`Invalid`, fields named)
        when the body is not a batch at all; a bad event only gets its own `rejected`."""
        try:
            items: Sequence[Any] = _STRICT.validate_json(body).events
        except ValidationError:
            items = _lenient(body)
        return to_json(self._ingest(items))

    def _ingest(self, items: Sequence[Any]) -> dict[str, Any]:
        if len(items) > self._config.max_batch:
            raise Invalid(
                f"A batch holds at most {self._config.max_batch} events; split it.",
                code="batch_too_large",
            )
        with _log_reachable():
            self.gate.check()
        checked = [_check(item) for item in items]
        valid = [(index, event) for index, (event, _) in enumerate(checked) if event is not None]
        with _log_reachable():
            appended = self.log.append_many([_entry(event) for _, event in valid])
        outcomes = {
            index: _outcome(result) for (index, _), result in zip(valid, appended, strict=True)
        }
        results = [
            {
                "index": index,
                "event_id": _event_id(items[index]),
                "outcome": outcomes.get(index, _REJECTED),
                "errors": errors,
            }
            for index, (_event, errors) in enumerate(checked)
        ]
        counts = {_ACCEPTED: 0, _DUPLICATE: 0, _REJECTED: 0}
        for index in range(len(items)):
            counts[outcomes.get(index, _REJECTED)] += 1
        return {
            "accepted": counts[_ACCEPTED],
            "duplicates": counts[_DUPLICATE],
            "rejected": counts[_REJECTED],
            "results": results,
        }

    def fresh_lags(self) -> tuple[dict[str, int], float] | None:
        """`lags` when it would not read the log (see `LagGate.fresh_timed_lags`); None
        otherwise."""
        return self.gate.fresh_timed_lags()

    def lags(self) -> tuple[dict[str, int], float]:
        """Each group's lag and when that stops being fresh (`LagGate.timed_lags`)."""
        with _log_reachable():
            return self.gate.timed_lags()


@contextmanager
def _log_reachable() -> Iterator[None]:
    """The log's store down or busy: 503, which players answer by keeping the events."""
    try:
        yield
    except LogUnavailable as exc:
        raise ServiceUnavailable(
            f"The event log cannot take events right now ({exc}); keep them and send them "
            "again later.",
            code="log_unavailable",
        ) from exc


def _lenient(body: bytes) -> Sequence[Any]:
    """The items of a batch with bad ones in it: each good one an event, each bad one as sent
    (`_check` names its fields). A body that is no batch at all is 422 with its fields named."""
    try:
        return EventBatch.model_validate_json(body).events
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in error["loc"]) or "request", "message": error["msg"]}
            for error in exc.errors()
        ]
        first = details[0]
        more = f" (and {len(details) - 1} more problems)" if len(details) > 1 else ""
        raise Invalid(f"{first['field']}: {first['message']}{more}", details=details) from None


def _check(item: Any) -> tuple[AnyEvent | None, list[dict[str, str]]]:
    """The event, or the reasons it is refused (each naming its field)."""
    if isinstance(item, _EVENTS):
        # A model already parsed by the batch is one of AnyEvent's members.
        event = cast(AnyEvent, item)
    else:
        try:
            event = EVENT.validate_python(item)
        except ValidationError as exc:
            return None, [error.model_dump() for error in _field_errors(exc, item)]
    if event.profile_id is None:
        return None, [{"field": "profile_id", "message": "Field required (the gateway sets it)"}]
    return event, []


def _field_errors(exc: ValidationError, item: Any) -> list[FieldError]:
    tag = item.get("type") if isinstance(item, dict) else None
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        if loc and loc[0] == tag:
            loc = loc[1:]  # the discriminated union's branch name, not a field
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            loc = ["type"]
        errors.append(FieldError(field=".".join(loc) or "event", message=error["msg"]))
    return errors


def _entry(event: AnyEvent) -> tuple[str, bytes, str]:
    profile = str(event.profile_id)
    return profile, event.model_dump_json().encode(), f"{profile}:{event.event_id}"


def _outcome(appended: Appended) -> str:
    return _DUPLICATE if appended.duplicate else _ACCEPTED


def _event_id(item: Any) -> str | None:
    if isinstance(item, _EVENTS):
        return item.event_id
    value = item.get("event_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
