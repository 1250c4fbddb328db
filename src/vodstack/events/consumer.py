"""Run one consumer group over the log: poll every partition, apply, commit.

At-least-once: records are committed only after the sink has applied them, so a crash (even
kill -9) between the two replays them. Sinks are idempotent (each applies an event id once, in
the same transaction as its effects), so a replay changes nothing. A record that is not a valid
event goes to the dead-letter partition instead of blocking its partition forever.

Cost per step is mostly fixed (a poll of every partition, a sink transaction, a commit), so a
step takes blocks: every partition in one poll, parsed in one call, applied in one transaction.
After a step that found less than a full page the consumer lingers (`linger_s`) so that the
next step finds a bigger block, rather than spinning on a few events at a time under a steady
stream; an idle log is polled every `idle_s`.

The consumer is background work: its thread runs `niceness` steps below the request-serving
threads (core/priority.py), so a block of work waits for a gateway or events request rather than
delaying it; the lag it may build up then is bounded by the events service's back-pressure.

Owned by whoever starts it: `start()` runs a thread, `stop()` sets the stop flag and joins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from pydantic import ValidationError

from vodstack.contracts.events import AnyEvent, event_from_log, events_from_log
from vodstack.core.priority import lower_this_thread
from vodstack.events.log import EventLog, Record

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where a consumer's events go: applies each event id at most once, atomically."""

    def apply(self, events: Sequence[AnyEvent]) -> int:
        """Apply `events` (skipping ids applied before); returns how many were new."""
        ...


class Consumer:
    def __init__(
        self,
        event_log: EventLog,
        group: str,
        sink: Sink,
        *,
        batch: int = 1000,
        idle_s: float = 0.2,
        linger_s: float = 0.1,
        niceness: int = 0,
    ) -> None:
        self.group = group
        self._log = event_log
        self._sink = sink
        self._batch = batch
        self._idle_s = idle_s
        self._linger_s = linger_s
        self._niceness = niceness
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._full = False  # the last step read a full page somewhere: more is waiting

    def step(self) -> int:
        """One pass over every partition (up to `batch` records each); returns how many records
        were handled."""
        polled = self._log.poll_all(self.group, self._batch)
        if not polled:
            return 0
        records = [record for page in polled.values() for record in page]
        self._sink.apply(self._parse_all(records))
        self._log.commit_many(self.group, {p: page[-1].offset + 1 for p, page in polled.items()})
        self._full = any(len(page) >= self._batch for page in polled.values())
        return len(records)

    def _parse_all(self, records: Sequence[Record]) -> list[AnyEvent]:
        try:
            return events_from_log([record.payload for record in records])
        except ValueError:
            # Some record is not an event: one at a time, to dead-letter exactly those.
            return [event for event in map(self._parse, records) if event is not None]

    def _parse(self, record: Record) -> AnyEvent | None:
        try:
            return event_from_log(record.payload)
        except ValidationError as exc:
            self._log.dead_letter(self.group, record, f"not a valid event: {exc.errors()[:3]}")
            return None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"consumer-{self.group}")
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        lower_this_thread(self._niceness)
        failures = 0
        while not self._stop.is_set():
            try:
                handled = self.step()
            except Exception:
                # The log or the sink is down: back off (up to 30 s) rather than spin and spam.
                failures += 1
                delay = min(30.0, self._idle_s * 2**failures)
                log.exception("consumer %s failed a pass; retrying in %.1f s", self.group, delay)
                self._stop.wait(delay)
                continue
            failures = 0
            if not handled:
                self._stop.wait(self._idle_s)
            elif not self._full:
                self._stop.wait(self._linger_s)
