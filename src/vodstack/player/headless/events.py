"""The headless player's event reporter: QoE events and heartbeats to `POST /api/events`.

Events are queued and sent in batches (at each heartbeat, when `batch_size` are waiting, and at
the end of a play). When the gateway or the events service is down (502/503/504, no
connection) or asks to slow down (429 + Retry-After), the batch stays queued and the reporter
waits before trying again (Retry-After, else a doubling backoff); nothing is lost unless the
queue overflows `max_queued` (the oldest go first, counted in `dropped`). Retrying is safe:
every event has its own id, which the platform accepts once.

Sending never fails playback: problems are kept in `problems`, not raised.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from vodstack.player.headless.gateway import GatewayError, GatewaySession, is_outage

Clock = Callable[[], float]


class EventReporter:
    def __init__(
        self,
        gateway: GatewaySession,
        *,
        batch_size: int = 50,
        max_queued: int = 5000,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._gateway = gateway
        self._batch_size = batch_size
        self._queue: deque[dict[str, Any]] = deque()
        self._max_queued = max_queued
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._clock = clock
        self._failures = 0
        self._not_before = 0.0
        self.sent = 0
        self.dropped = 0
        self.problems: list[str] = []

    @property
    def queued(self) -> int:
        return len(self._queue)

    def record(self, kind: str, **fields: Any) -> None:
        """Queue an event of `kind` (contracts.events), with a fresh id; send a full batch."""
        event = {"type": kind, "event_id": uuid.uuid4().hex, "at": datetime.now(UTC).isoformat()}
        self._queue.append({**event, **fields})
        while len(self._queue) > self._max_queued:
            self._queue.popleft()
            self.dropped += 1
        if len(self._queue) >= self._batch_size:
            self.flush()

    def flush(self) -> bool:
        """Send what is queued, a batch at a time, unless backing off; True when all went."""
        while self._queue:
            if self._clock() < self._not_before or not self._send_one():
                return False
        return True

    def _send_one(self) -> bool:
        batch = [self._queue[i] for i in range(min(self._batch_size, len(self._queue)))]
        try:
            answer = self._gateway.post("/api/events", {"events": batch}).json()
        except (GatewayError, httpx.TransportError) as exc:
            return self._failed(exc, len(batch))
        for _ in batch:
            self._queue.popleft()
        self._failures = 0
        self.sent += int(answer["accepted"]) + int(answer["duplicates"])
        if answer["rejected"]:
            self.problems.append(f"{answer['rejected']} events rejected: {answer['results']}")
        return True

    def _failed(self, exc: Exception, size: int) -> bool:
        retry_after = exc.retry_after if isinstance(exc, GatewayError) else None
        if not (is_outage(exc) or retry_after is not None):
            # Refused for good (e.g. signed out): retrying the same batch would not help.
            for _ in range(size):
                self._queue.popleft()
            self.dropped += size
            self.problems.append(f"events refused: {exc}")
            return True
        self._failures += 1
        delay = retry_after or min(self._max_backoff_s, self._backoff_s * 2 ** (self._failures - 1))
        self._not_before = self._clock() + delay
        self.problems.append(f"events not sent ({exc}); retrying in {delay:.1f} s")
        return False
