"""Edge health for steering: active checks of `/healthz` plus errors players and services report.

An edge is healthy when its last active check succeeded (or none has run yet) and fewer than
`error_threshold` errors were recorded within `error_window_s`. A check also reads the edge's
in-flight request count, which steering uses as load, and every `holdings_every`-th check reads
`/holdings` (which titles the edge has bytes of), which content-aware steering uses. Holdings are
polled less often than health: they change with fills and evictions, not from second to second,
and the answer grows with the catalogue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from vodstack.config import Settings
from vodstack.core.periodic import Periodic
from vodstack.delivery.topology import EdgeNode

log = logging.getLogger(__name__)


@dataclass
class _EdgeHealth:
    check_ok: bool = True
    load: float = 0.0
    errors: deque[float] = field(default_factory=deque)
    titles: frozenset[str] = frozenset()


class HealthMonitor:
    """Health and load per edge name; `start()` runs the active checks in an owned task."""

    def __init__(
        self,
        edges: Sequence[EdgeNode],
        *,
        interval_s: float = 2.0,
        timeout_s: float = 1.0,
        error_threshold: int = 3,
        error_window_s: float = 10.0,
        holdings_every: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._edges = list(edges)
        self._state = {edge.name: _EdgeHealth() for edge in self._edges}
        self._timeout_s = timeout_s
        self._error_threshold = error_threshold
        self._error_window_s = error_window_s
        self._transport = transport
        self._clock = clock
        self._holdings_every = max(1, holdings_every)
        self._rounds = 0
        self._checks = Periodic("edge health checks", self._check_all, interval_s)
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings, edges: Sequence[EdgeNode]) -> HealthMonitor:
        cdn = settings.cdn
        return cls(
            edges,
            interval_s=cdn.health_interval_s,
            timeout_s=cdn.peer_timeout_s,
            error_threshold=cdn.health_error_threshold,
            error_window_s=cdn.health_error_window_s,
        )

    # --- what steering reads ---------------------------------------------------------------

    def is_healthy(self, name: str) -> bool:
        state = self._state.get(name)
        if state is None:
            return False
        self._forget_old_errors(state)
        return state.check_ok and len(state.errors) < self._error_threshold

    def load(self, name: str) -> float:
        state = self._state.get(name)
        return state.load if state else 0.0

    def holds(self, name: str, title_id: str) -> bool:
        """Whether the edge had bytes of the title at its last holdings poll."""
        state = self._state.get(name)
        return state is not None and title_id in state.titles

    # --- what feeds it ----------------------------------------------------------------------

    def record_error(self, name: str) -> None:
        """A request to this edge failed (reported by a player or a service)."""
        state = self._state.get(name)
        if state is not None:
            state.errors.append(self._clock())
            self._forget_old_errors(state)

    def _forget_old_errors(self, state: _EdgeHealth) -> None:
        horizon = self._clock() - self._error_window_s
        while state.errors and state.errors[0] < horizon:
            state.errors.popleft()

    async def check_once(self, client: httpx.AsyncClient) -> None:
        with_holdings = self._rounds % self._holdings_every == 0
        self._rounds += 1
        await asyncio.gather(*(self._check(client, edge, with_holdings) for edge in self._edges))

    async def _check(self, client: httpx.AsyncClient, edge: EdgeNode, with_holdings: bool) -> None:
        state = self._state[edge.name]
        try:
            response = await client.get(f"{edge.url}/healthz", timeout=self._timeout_s)
            state.check_ok = response.status_code == 200
            if state.check_ok:
                state.load = float(response.json().get("in_flight", 0))
        except (httpx.HTTPError, ValueError):
            state.check_ok = False
        if not state.check_ok:
            log.info("edge %s failed its health check", edge.name)
        elif with_holdings:
            await self._read_holdings(client, edge, state)

    async def _read_holdings(
        self, client: httpx.AsyncClient, edge: EdgeNode, state: _EdgeHealth
    ) -> None:
        try:
            response = await client.get(f"{edge.url}/holdings", timeout=self._timeout_s)
            titles = response.json().get("titles", {}) if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError, AttributeError):
            # Keep the last known holdings: a slow answer says nothing about what is on disk.
            return
        if isinstance(titles, dict):
            state.titles = frozenset(str(title) for title in titles)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport)
            self._checks.start()

    async def stop(self) -> None:
        await self._checks.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _check_all(self) -> None:
        if self._client is not None:
            await self.check_once(self._client)
