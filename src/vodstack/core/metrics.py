"""Prometheus metrics per service: requests, latency histogram, errors, in-flight, process CPU.

Each app gets its own registry so several apps can live in one test process.

A request's counter and histogram were 2 µs of a cached read's CPU (a lock per value, a walk
over the buckets), paid once per request. A process serving 32 connections answers several
requests per event-loop iteration, often the same route, so `record` notes the request and
the notes of one iteration are added up at its end: one `inc(n)` per series, the buckets found
by bisection. Whatever scrapes the registry sees every note first (`_Notes` is collected
before the series), so no count is late; off the loop a request is counted at once.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from vodstack.core.access_line import log_access
from vodstack.core.context import REQUEST_ID_HEADER, request_id_of, request_id_var

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The route label of requests no route matched: one label, so a scanner cannot blow up the
# label cardinality.
UNMATCHED = "<unmatched>"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


Note = tuple[str, str, int, float]  # method, route, status, seconds


class _Latency(Histogram):
    """A histogram that takes a batch of observations at once."""

    def observe_all(self, amounts: Sequence[float]) -> None:
        """`observe` each of `amounts` (on a labelled child), one lock per bucket touched rather
        than two per amount."""
        bounds = self._upper_bounds
        counts = [0] * len(bounds)
        for amount in amounts:  # the first bucket whose bound is >= amount, as `observe` does
            counts[bisect_left(bounds, amount)] += 1
        self._sum.inc(sum(amounts))
        for bucket, count in zip(self._buckets, counts, strict=True):
            if count:
                bucket.inc(count)


class _Notes:
    """Registered before the series: a scrape adds up what was noted before reading them."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self._flush = flush

    def describe(self) -> Iterable[Any]:
        return []

    def collect(self) -> Iterable[Any]:
        self._flush()
        return []


class ServiceMetrics:
    """The standard HTTP metrics of one service."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        # Thread-safe appends and pops: requests are noted on the loop, scrapes run in threads.
        self._notes: deque[Note] = deque()
        self._flush_on: asyncio.AbstractEventLoop | None = None
        self.registry.register(_Notes(self.flush))
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "vodstack_http_requests_total", "HTTP requests handled", labels, registry=self.registry
        )
        self.errors = Counter(
            "vodstack_http_errors_total",
            "HTTP requests answered with a 5xx status",
            ["method", "route"],
            registry=self.registry,
        )
        self.latency = _Latency(
            "vodstack_http_request_duration_seconds",
            "Time from request to end of response",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "vodstack_http_in_flight_requests", "Requests being handled", registry=self.registry
        )
        # process_cpu_seconds_total and friends, per process: the autoscaler's CPU signal.
        ProcessCollector(registry=self.registry)

        # The labelled series of each (method, route, status), looked up once: `labels()` takes
        # a lock and validates its arguments, which cost as much as the rest of the middleware.
        self._series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def record(self, method: str, route: str, status: int, elapsed: float) -> None:
        """Count one answered request (at the end of this loop iteration, on a loop)."""
        self._notes.append((method, route, status, elapsed))
        # None off the loop's thread (typeshed says otherwise).
        loop: asyncio.AbstractEventLoop | None = asyncio._get_running_loop()
        if loop is None:
            self.flush()
        elif self._flush_on is not loop:
            self._flush_on = loop
            loop.call_soon(self.flush)

    def flush(self) -> None:
        """Add every noted request to its series."""
        self._flush_on = None
        batches: dict[tuple[str, str, int], list[float]] = {}
        notes = self._notes
        while notes:
            try:
                method, route, status, elapsed = notes.popleft()
            except IndexError:  # another thread's flush took the last one
                break
            batches.setdefault((method, route, status), []).append(elapsed)
        for key, amounts in batches.items():
            requests, latency, failed = self._series_of(*key)
            requests.inc(len(amounts))
            latency.observe_all(amounts)
            if failed is not None:
                failed.inc(len(amounts))

    def _series_of(self, method: str, route: str, status: int) -> tuple[Any, Any, Any]:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            failed = self.errors.labels(method, route) if status >= 500 else None
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
                failed,
            )
            self._series[key] = series
        return series

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class ObservabilityMiddleware:
    """Pure ASGI middleware (no per-request task overhead): request id, metrics, status."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        token = request_id_var.set(rid)
        status = 500
        started = time.perf_counter()
        self.metrics.in_flight.inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.in_flight.dec()
            route = _route_template(scope)
            method = str(scope.get("method", "GET"))
            elapsed = time.perf_counter() - started
            self.metrics.record(method, route, status, elapsed)
            # The route template, never the raw path: paths can carry session ids and tokens.
            log_access(method, route, status, elapsed)
            request_id_var.reset(token)
