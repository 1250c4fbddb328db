"""Ingest: validate each event of a batch on its own, then append the valid ones in one go.

The log's dedup id is `{profile}:{event id}`, so a batch sent twice (a player retrying after a
lost answer) adds nothing the second time, and one profile cannot shadow another's event ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from pydantic import ValidationError

from vodstack.config.settings import EventsSettings
from vodstack.contracts.events import (
    EVENT,
    AnyEvent,
    BaseEvent,
    BatchResult,
    EventResult,
    ExposureEvent,
    FieldError,
    Outcome,
)
from vodstack.core.errors import Invalid
from vodstack.events.log import Appended, EventLog
from vodstack.services.events.lag import LagGate

# Already-parsed events (the gateway's own client sends models, not dicts).
_EVENTS = (BaseEvent, ExposureEvent)


class EventsService:
    def __init__(self, log: EventLog, config: EventsSettings, gate: LagGate) -> None:
        self.log = log
        self._config = config
        self.gate = gate

    def ingest(self, items: Sequence[Any]) -> BatchResult:
        if len(items) > self._config.max_batch:
            raise Invalid(
                f"A batch holds at most {self._config.max_batch} events; split it.",
                code="batch_too_large",
            )
        self.gate.check()
        checked = [_check(index, item) for index, item in enumerate(items)]
        valid = [(index, event) for index, event, _ in checked if event is not None]
        appended = self.log.append_many([_entry(event) for _, event in valid])
        outcomes = {
            index: _outcome(result) for (index, _), result in zip(valid, appended, strict=True)
        }
        results = [
            EventResult(
                index=index,
                event_id=_event_id(items[index]),
                outcome=outcomes.get(index, Outcome.REJECTED),
                errors=errors,
            )
            for index, _event, errors in checked
        ]
        return BatchResult(
            accepted=sum(r.outcome is Outcome.ACCEPTED for r in results),
            duplicates=sum(r.outcome is Outcome.DUPLICATE for r in results),
            rejected=sum(r.outcome is Outcome.REJECTED for r in results),
            results=results,
        )

    def lags(self) -> dict[str, int]:
        return self.gate.lags()


def _check(index: int, item: Any) -> tuple[int, AnyEvent | None, list[FieldError]]:
    """The event, or the reasons it is refused (each naming its field)."""
    try:
        # A model already parsed by the batch is one of AnyEvent's members.
        event = cast(AnyEvent, item) if isinstance(item, _EVENTS) else EVENT.validate_python(item)
    except ValidationError as exc:
        return index, None, _field_errors(exc, item)
    if event.profile_id is None:
        missing = FieldError(field="profile_id", message="Field required (the gateway sets it)")
        return index, None, [missing]
    return index, event, []


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


def _outcome(appended: Appended) -> Outcome:
    return Outcome.DUPLICATE if appended.duplicate else Outcome.ACCEPTED


def _event_id(item: Any) -> str | None:
    if isinstance(item, _EVENTS):
        return item.event_id
    value = item.get("event_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
