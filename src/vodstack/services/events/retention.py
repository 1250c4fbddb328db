"""The background trim that keeps the log (and its dedup window) to `retention_s`.

Owned by the app's lifespan; runs once at start and then every `interval_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from vodstack.events.log import EventLog

log = logging.getLogger(__name__)


class Retention:
    def __init__(self, event_log: EventLog, retention_s: float, interval_s: float = 600.0) -> None:
        self._log = event_log
        self._retention_s = retention_s
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="events-retention")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            cutoff = time.time() - self._retention_s
            try:
                gone = await asyncio.to_thread(self._log.trim, cutoff)
            except Exception:
                log.exception("trimming the events log failed; retrying")
            else:
                if gone:
                    log.info("trimmed %d events older than the retention", gone)
            await asyncio.sleep(self._interval_s)
