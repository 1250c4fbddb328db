"""The background sweep that ends silent streams, so their segment tokens are revoked promptly.

A stream whose player vanished stops counting against the plan after `stream_timeout_s`; the
sweep makes that an ended session (and a revocation the edges pick up) within `sweep_s` more,
instead of waiting for the account's next start. Owned by the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from vodstack.services.playback.service import PlaybackService

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, service: PlaybackService, interval_s: float) -> None:
        self._service = service
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="playback-sweeper")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                ended = await asyncio.to_thread(self._service.sweep)
            except SQLAlchemyError:
                log.exception("sweep failed; retrying")
            else:
                if ended:
                    log.info("ended %d silent play sessions (their tokens are revoked)", ended)
            await asyncio.sleep(self._interval_s)
