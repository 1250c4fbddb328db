"""Prometheus metrics per service: requests, latency histogram, errors, in-flight, process CPU.

Each app gets its own registry so several apps can live in one test process.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
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


class ServiceMetrics:
    """The standard HTTP metrics of one service."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
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
        self.latency = Histogram(
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
        """Count one answered request."""
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
        series[0].inc()
        series[1].observe(elapsed)
        if series[2] is not None:
            series[2].inc()

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
