"""The background trim that keeps the log (and its dedup window) to `retention_s`.

Owned by the app's lifespan; runs once at start and then every `interval_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time

from vodstack.core.periodic import Periodic
from vodstack.events.log import EventLog

log = logging.getLogger(__name__)


def retention(event_log: EventLog, retention_s: float, interval_s: float = 600.0) -> Periodic:
    async def trim() -> None:
        gone = await asyncio.to_thread(event_log.trim, time.time() - retention_s)
        if gone:
            log.info("trimmed %d events older than the retention", gone)

    return Periodic("events retention", trim, interval_s)
