"""Background work that repeats on an interval, owned by whoever starts it.

Services trim logs, sweep silent sessions, poll revocations and check health the same way: a
step now, then every `interval_s`, until the owner's lifespan ends. `Periodic` is that loop in
one place, so each owner writes only its step. A step that raises is logged and tried again on
the next tick: the loop never dies silently, which a bare `create_task` would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from vodstack.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[object]]


class Periodic:
    """Runs `step` now and every `interval_s` in an owned task (never if `interval_s <= 0`)."""

    def __init__(self, name: str, step: Step, interval_s: float) -> None:
        self.name = name
        self._step = step
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self._interval_s > 0:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except ServiceUnavailable as exc:
                # A dependency down or restarting: expected, and its message says which. A
                # traceback per tick would bury the log (the recs service printed 60 lines
                # each time the catalog dropped a connection while it restarted).
                log.warning("%s failed: %s; trying again in %g s", self.name, exc, self._interval_s)
            except Exception:
                log.exception("%s failed; trying again in %g s", self.name, self._interval_s)
            await asyncio.sleep(self._interval_s)
