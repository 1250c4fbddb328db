"""Active health checks: every instance's `/healthz`, probed in the background.

Passive ejection (outliers.py) only learns from calls that fail; a probe finds a frozen or
restarting instance before a user's call does, and sees it come back while no call goes there.
Probes go through the client's own transport, so they take the same path as the calls. A pool
of one is not probed: there is nothing to choose between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import httpx

from vodstack.core.periodic import Periodic

log = logging.getLogger(__name__)


class HealthChecker:
    """Owns one background task, started on first use and stopped by `aclose`."""

    def __init__(
        self,
        instances: Callable[[], Sequence[str]],
        transport: httpx.AsyncBaseTransport,
        *,
        interval_s: float,
        timeout_s: float,
    ) -> None:
        self._instances = instances
        self._transport = transport
        self._timeout_s = timeout_s
        self._unhealthy: set[str] = set()
        self._checks = Periodic("instance health checks", self._check_all, interval_s)

    def healthy(self, pool: Sequence[str]) -> list[str]:
        self._checks.start()  # started on first use: the client has no lifespan of its own
        return [instance for instance in pool if instance not in self._unhealthy]

    async def _check_all(self) -> None:
        pool = list(self._instances())
        if len(pool) > 1:
            answers = await asyncio.gather(*(self._probe(instance) for instance in pool))
            self._unhealthy = {i for i, ok in zip(pool, answers, strict=True) if not ok}
        else:
            self._unhealthy = set()

    async def _probe(self, instance: str) -> bool:
        timeout = {"connect": self._timeout_s, "read": self._timeout_s}
        request = httpx.Request("GET", f"{instance}/healthz", extensions={"timeout": timeout})
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._transport.handle_async_request(request)
                await response.aread()
        except (httpx.HTTPError, TimeoutError, OSError):
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._checks.stop()
