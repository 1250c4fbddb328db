"""Assigning a member to a cell, and logging the exposure as an event on the events pipeline.

The exposure goes through the events service like any event (validated, deduplicated, onto
the durable log), written in the background, where this service's own consumer reads it back
for the results. Its event id is derived from (experiment, profile), so a member shown the cell
a thousand times is one exposure in the log. A failed log write does not fail the assignment:
the member still sees their cell; the sample-ratio check shows if exposures go missing in bulk.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime
from typing import Protocol

from vodstack.contracts.events import BatchResult, ExposureEvent
from vodstack.contracts.experiments import (
    Assignment,
    AssignmentRequest,
    Experiment,
    ExperimentState,
)
from vodstack.core.errors import VodstackError
from vodstack.services.experiments.allocation import allocate

log = logging.getLogger(__name__)


class EventSink(Protocol):
    async def ingest(self, events: list[ExposureEvent]) -> BatchResult: ...


# Exposures this process logged already: a home page rendered again costs no events call.
# Cleared when full (the log's deduplication still absorbs what is sent twice).
_MEMORY = 100_000
# On shutdown, exposures still being written get this long.
_DRAIN_S = 2.0


class Exposures:
    """Assigns, and logs each new exposure in a task of its own: the member's answer never
    waits for the log write. The tasks are this object's; `aclose` ends them."""

    def __init__(self, events: EventSink) -> None:
        self._events = events
        self._logged: set[str] = set()
        self._writes: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Let the exposures being written finish (briefly), then cancel what is left."""
        if self._writes:
            _done, pending = await asyncio.wait(self._writes, timeout=_DRAIN_S)
            for task in pending:
                task.cancel()

    async def assign(
        self, experiment: Experiment, who: AssignmentRequest, now: datetime
    ) -> Assignment:
        if experiment.state is not ExperimentState.RUNNING:
            return Assignment(experiment=experiment.key, cell=None)
        cell = allocate(experiment.salt, experiment.cells, who.account_id)
        event_id = _exposure_id(experiment, who.profile_id)
        if event_id not in self._logged:
            if len(self._logged) >= _MEMORY:
                self._logged.clear()
            self._logged.add(event_id)  # now: a burst of page views writes it once
            task = asyncio.create_task(self._log(experiment, who, cell, event_id, now))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
        return Assignment(experiment=experiment.key, cell=cell)

    async def _log(
        self,
        experiment: Experiment,
        who: AssignmentRequest,
        cell: str,
        event_id: str,
        now: datetime,
    ) -> None:
        exposure = ExposureEvent(
            type="exposure",
            event_id=event_id,
            profile_id=who.profile_id,
            account_id=who.account_id,
            experiment=experiment.key,
            cell=cell,
            at=now,
        )
        try:
            result = await self._events.ingest([exposure])
        except VodstackError as exc:
            result = None
            log.warning("exposure to %s not logged: %s", experiment.key, exc.message)
        if result is None or result.rejected:
            self._logged.discard(event_id)  # the next page view tries again


def _exposure_id(experiment: Experiment, profile_id: int) -> str:
    seed = f"exposure:{experiment.key}:{experiment.salt}:{profile_id}"
    return hashlib.sha256(seed.encode()).hexdigest()[:40]
