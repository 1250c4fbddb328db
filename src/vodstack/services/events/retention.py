"""The background trim that keeps the log (and its dedup window) to `retention_s`.

Owned by the app's lifespan; runs once at start and then every `interval_s`. The cut-off is
taken from the log's own clock, the one that stamped the records: with the wall clock instead, a
log on another clock (the tests' fake one) lost its whole dedup window to the trim at start.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.core.periodic import Periodic
from vodstack.events.log import EventLog

log = logging.getLogger(__name__)


def retention(event_log: EventLog, retention_s: float, interval_s: float = 600.0) -> Periodic:
    async def trim() -> None:
        gone = await asyncio.to_thread(event_log.trim, event_log.now() - retention_s)
        if gone:
            log.info("trimmed %d events older than the retention", gone)

    return Periodic("events retention", trim, interval_s)
