"""The background sweep that ends silent streams, so their segment tokens are revoked promptly.

A stream whose player vanished stops counting against the plan after `stream_timeout_s`; the
sweep makes that an ended session (and a revocation the edges pick up) within `sweep_s` more,
instead of waiting for the account's next start. Owned by the app's lifespan.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.core.periodic import Periodic
from vodstack.services.playback.service import PlaybackService

log = logging.getLogger(__name__)


def sweeper(service: PlaybackService, interval_s: float) -> Periodic:
    async def sweep() -> None:
        ended = await asyncio.to_thread(service.sweep)
        if ended:
            log.info("ended %d silent play sessions (their tokens are revoked)", ended)

    return Periodic("playback sweeper", sweep, interval_s)
