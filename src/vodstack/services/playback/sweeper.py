"""The background sweep that ends silent streams, so their segment tokens are revoked promptly.

A stream whose player vanished stops counting against the plan after `stream_timeout_s`; the
sweep makes that an ended session (and a revocation the edges pick up) within `sweep_s` more,
instead of waiting for the account's next start. Owned by the app's lifespan.

In transactions of `CHUNK` sessions at most, with a pause between them: the sweep holds the
database's write lock, and the starts of the event loop wait for it (group_commit.py). At 2,500
starts a second a sweep ends 2,500 sessions a second: in one transaction that held the lock
about 50 ms (offline, docs/benchmarks.md "Playback start, ninth pass"), a wait added to every
start that met it; a chunk of 200 holds it about 4 ms.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.core.periodic import Periodic
from vodstack.services.playback.group_commit import RETRY_S
from vodstack.services.playback.service import PlaybackService

log = logging.getLogger(__name__)

#: Sessions ended per transaction at most (about 4 ms of the write lock, bench figures above).
CHUNK = 200
#: Between two transactions: longer than a waiting start's retry interval, so it gets in.
GAP_S = 2 * RETRY_S


def sweeper(service: PlaybackService, interval_s: float) -> Periodic:
    async def sweep() -> None:
        ended = 0
        while True:
            chunk = await asyncio.to_thread(service.sweep, CHUNK)
            ended += chunk
            if chunk < CHUNK:
                break
            await asyncio.sleep(GAP_S)
        if ended:
            log.info("ended %d silent play sessions (their tokens are revoked)", ended)

    return Periodic("playback sweeper", sweep, interval_s)
