"""Load shedding at the gateway: an adaptive concurrency limit with request priorities.

The limit is found, not configured (Netflix's concurrency-limits, AIMD flavour): it grows by one
while requests come back quick and the limit is actually in use, and shrinks by `backoff_ratio`
when one takes longer than `slow_s` (at most once per `slow_s`, so one slow burst is one cut).
Each priority may fill only its share of the limit, so as requests pile up the lowest (search,
admin) is refused first, then browsing, and playback starts and heartbeats last. A refused
request gets 503 with Retry-After at once: cheap for the gateway, and a client that backs off.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.responses import HTMLResponse, Response

from vodstack.config.resilience import Priority, SheddingSettings
from vodstack.core.metrics import ASGIApp, Receive, Scope, Send
from vodstack.core.responses import error_response

Clock = Callable[[], float]
# Never shed: probes and scrapes must see an overloaded gateway as alive and measurable.
_EXEMPT = ("/healthz", "/metrics", "/static/")
_BUSY = "The service is busy right now; please try again in a moment."
_BUSY_PAGE = f"<!doctype html><title>Busy</title><h1>Busy</h1><p>{_BUSY}</p>"


class AimdLimit:
    """The adaptive limit and the requests in flight under it, by priority."""

    def __init__(self, settings: SheddingSettings, clock: Clock = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self.limit = float(settings.initial_limit)
        self.in_flight = 0
        self._last_cut = -float("inf")

    def admit(self, priority: Priority) -> bool:
        share = self._settings.shares.get(priority, 1.0)
        if self.in_flight >= max(1.0, self.limit * share):
            return False
        self.in_flight += 1
        return True

    def done(self, latency_s: float | None) -> None:
        """A request admitted earlier finished after `latency_s` (None: not to be measured)."""
        using = self.in_flight
        self.in_flight -= 1
        if latency_s is None:
            return
        settings = self._settings
        if latency_s > settings.slow_s:
            now = self._clock()
            if now - self._last_cut >= settings.slow_s:
                self._last_cut = now
                self.limit = max(settings.min_limit, self.limit * settings.backoff_ratio)
        elif using * 2 >= self.limit:
            self.limit = min(settings.max_limit, self.limit + 1)


class SheddingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.shed = Counter(
            "vodstack_gateway_shed_total",
            "Requests refused by load shedding (503), by priority",
            ["priority"],
            registry=registry,
        )
        self.limit = Gauge(
            "vodstack_gateway_concurrency_limit",
            "The adaptive concurrency limit",
            registry=registry,
        )


class LoadShedder:
    """Pure ASGI middleware in front of the gateway's routes."""

    def __init__(
        self,
        app: ASGIApp,
        settings: SheddingSettings,
        registry: CollectorRegistry,
        limit: AimdLimit | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.limit = limit or AimdLimit(settings)
        self.metrics = SheddingMetrics(registry)
        self.metrics.limit.set(self.limit.limit)
        # Per request otherwise: a sort of the priority prefixes, a tuple, a gauge's lock.
        self._priority = functools.lru_cache(maxsize=1024)(settings.priority)
        self._unmeasured = tuple(settings.unmeasured)
        self._shown_limit = self.limit.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        priority = self._priority(path)
        if not self.limit.admit(priority):
            self.metrics.shed.labels(priority.name.lower()).inc()
            await self._refuse(scope)(scope, receive, send)
            return
        started = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            measured = not path.startswith(self._unmeasured)
            self.limit.done(time.monotonic() - started if measured else None)
            if self.limit.limit != self._shown_limit:
                self._shown_limit = self.limit.limit
                self.metrics.limit.set(self._shown_limit)

    def _refuse(self, scope: Scope) -> Response:
        """503 with Retry-After: a page for browsers, the platform's error body for the API."""
        headers = {"Retry-After": str(self.settings.retry_after_s)}
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        if b"text/html" in accept:
            return HTMLResponse(_BUSY_PAGE, status_code=503, headers=headers)
        return error_response(503, "overloaded", _BUSY, headers=headers)
