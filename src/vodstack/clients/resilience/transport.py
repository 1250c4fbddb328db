"""One upstream's calls, made resilient: an httpx transport under a typed client.

For each call, in this order: the deadline (the route's timeout, shortened by the caller's
own deadline), the bulkhead, then attempts: the breaker's permission, an instance (healthy, not
ejected, not tried yet for this call, in the caller's region while one there can take it, chosen
by the balancer), the call with the time left sent
along in a header. A failed attempt is retried elsewhere when the call is idempotent, time and
the retry budget allow. When all that fails, a GET on a fallback route answers from its last
good answer, marked possibly stale.

Errors keep the shapes the typed clients translate (httpx errors, or the upstream's 5xx); the
open breaker and the full bulkhead raise `ServiceUnavailable` themselves.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from vodstack.clients.instances import InstanceSource, RegionalSource, instance_source
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.resilience.balancing import balancer
from vodstack.clients.resilience.breaker import BreakerState, CircuitBreaker
from vodstack.clients.resilience.budget import RetryBudget
from vodstack.clients.resilience.bulkhead import Bulkhead
from vodstack.clients.resilience.health import HealthChecker
from vodstack.clients.resilience.hedging import HedgeDelay
from vodstack.clients.resilience.metrics import ResilienceMetrics
from vodstack.clients.resilience.outliers import OutlierDetector
from vodstack.clients.resilience.retries import RETRYABLE_STATUSES, full_jitter, retryable_request
from vodstack.clients.resilience.stale import STALE_HEADER, Kept, LastGood, mark_stale
from vodstack.clients.resilience.stats import Clock, StatsTable
from vodstack.config.resilience import ResilienceSettings, RoutePolicy
from vodstack.config.settings import Settings
from vodstack.core import deadline
from vodstack.core.errors import ServiceUnavailable
from vodstack.core.lean_request import lean_request

_DEFAULT_TIMEOUT_S = 5.0
# An attempt's own: the instance's host, and the time left when it is sent.
_DEADLINE = deadline.DEADLINE_HEADER.encode()
_REPLACED = frozenset({b"host", _DEADLINE})
# The latency a failed attempt counts as, for the balancer (see `_outcome`).
FAILURE_LATENCY_S = 0.5


@dataclass
class _Call:
    request: httpx.Request
    body: bytes
    route: RoutePolicy
    deadline: float
    tried: list[str] = field(default_factory=list)


class ResilientTransport(httpx.AsyncBaseTransport):
    """Balanced, retried, guarded calls to the instances of `service` through `inner`."""

    def __init__(
        self,
        service: str,
        source: InstanceSource,
        settings: ResilienceSettings,
        *,
        inner: httpx.AsyncBaseTransport,
        metrics: ResilienceMetrics | None = None,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        region: str | None = None,
    ) -> None:
        self.service = service
        self._source = source
        self._region = region  # the caller's, for region affinity
        self._policy = settings.upstream(service)
        self._inner = inner
        self._metrics = metrics or ResilienceMetrics()
        self._clock = clock
        self._sleep = sleep
        self.stats = StatsTable(clock)
        self._balancer = balancer(self._policy.balancer)
        self.outliers = OutlierDetector(settings.outliers, clock)
        self.breaker = CircuitBreaker(self._policy.breaker, clock, self._on_transition)
        self._budget = RetryBudget(
            self._policy.retry.budget_ratio, self._policy.retry.budget_reserve
        )
        self._bulkhead = Bulkhead(self._policy.max_in_flight)
        self._hedge = HedgeDelay(self._policy.hedge)
        self._last_good = LastGood()
        self._health = HealthChecker(
            self._pool,
            inner,
            interval_s=settings.health_interval_s,
            timeout_s=settings.health_timeout_s,
        )
        self._metrics.circuit_state.labels(service).set(BreakerState.CLOSED)

    @classmethod
    def over(
        cls,
        settings: Settings,
        service: str,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        source: InstanceSource | None = None,
        metrics: ResilienceMetrics | None = None,
    ) -> ResilientTransport:
        """The usual wiring: instances from the registry (or settings) unless `source` says,
        `KeepAliveTransport` under (httpx's pool costs several times its CPU per call)."""
        return cls(
            service,
            source or instance_source(settings),
            settings.resilience,
            inner=inner or KeepAliveTransport(),
            metrics=metrics,
            region=settings.region,
        )

    def _pool(self) -> list[str]:
        return list(self._source.instances(self.service))

    def _on_transition(self, state: BreakerState) -> None:
        self._metrics.circuit_state.labels(self.service).set(state)
        self._metrics.transitions.labels(self.service, state.name.lower()).inc()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self._policy.route(request.url.path)
        call = _Call(request, await request.aread(), route, self._deadline(request, route))
        try:
            if not self._bulkhead.try_enter():
                self._metrics.rejected.labels(self.service, "bulkhead").inc()
                raise ServiceUnavailable(
                    f"Too many calls to the {self.service} service are waiting; try again.",
                    code="upstream_busy",
                )
            try:
                response = await self._attempts(call)
            finally:
                self._bulkhead.leave()
        except (httpx.TransportError, ServiceUnavailable):
            stale = self._stale(call)
            if stale is None:
                raise
            return stale
        if response.status_code >= 500:
            return self._stale(call) or response
        if request.method == "GET" and route.stale_fallback and response.status_code == 200:
            self._last_good.keep(
                str(request.url), Kept(200, response.headers.raw, response.content)
            )
        return response

    def _deadline(self, request: httpx.Request, route: RoutePolicy) -> float:
        timeout = route.timeout_s or self._policy.timeout_s or _client_timeout(request)
        left = deadline.remaining_s()
        return self._clock() + (timeout if left is None else min(timeout, left))

    async def _attempts(self, call: _Call) -> httpx.Response:
        """The call's attempts; the breaker judges the call, not each attempt: an instance
        that dies fails the attempts sent to it, and the retry elsewhere succeeds. Counting
        those attempts opened the breaker of a whole upstream when one instance of two was
        killed (the game day found it); the dead instance is the outlier detector's."""
        if not self.breaker.allow():
            self._metrics.rejected.labels(self.service, "circuit_open").inc()
            raise ServiceUnavailable(
                f"The {self.service} service is failing; calls to it pause for a few seconds.",
                code="upstream_circuit_open",
            )
        started = self._clock()
        try:
            response = await self._retrying(call)
        except (httpx.TransportError, ServiceUnavailable):
            self.breaker.record(failed=True, duration_s=self._clock() - started)
            raise
        failed = response.status_code >= 500
        self.breaker.record(failed=failed, duration_s=self._clock() - started)
        return response

    async def _retrying(self, call: _Call) -> httpx.Response:
        retry = 0
        self._budget.deposit()
        while True:
            try:
                response = await self._attempt(call)
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                error: Exception | None = None
            except (httpx.TransportError, ServiceUnavailable) as exc:
                error = exc
            retry += 1
            wait = full_jitter(self._policy.retry, retry)
            if not self._may_retry(call, retry, wait):
                if error is not None:
                    raise error
                return response
            self._metrics.retries.labels(self.service).inc()
            await self._sleep(wait)

    def _may_retry(self, call: _Call, retry: int, wait: float) -> bool:
        return (
            call.route.retries
            and retryable_request(call.request)
            and retry < self._policy.retry.attempts
            and self._clock() + wait < call.deadline
            and self._budget.withdraw()
        )

    async def _attempt(self, call: _Call) -> httpx.Response:
        left = call.deadline - self._clock()
        if left <= 0:
            raise httpx.ReadTimeout("the caller's deadline passed")
        instance = self._choose(call.tried)
        call.tried.append(instance)
        budget = min(left, call.route.try_timeout_s or math.inf)
        delay = self._hedge.delay_s() if self._hedgeable(call) else None
        # A lone instance has no other to hedge to (`_hedged` would only wait for the first
        # attempt), so its attempt skips the hedge's task and wait: a tenth of a call's CPU.
        if delay is None or delay >= budget or len(self._pool()) < 2:
            return await self._send(call, instance, budget)
        return await self._hedged(call, instance, budget, delay)

    def _hedgeable(self, call: _Call) -> bool:
        return call.route.retries and call.request.method in ("GET", "HEAD")

    async def _hedged(
        self, call: _Call, instance: str, budget: float, delay: float
    ) -> httpx.Response:
        """The attempt at `instance`; if it has not answered after `delay`, the same request to
        another instance too (budget permitting): the first good answer wins, the other is
        cancelled."""
        tasks = [asyncio.create_task(self._send(call, instance, budget, hedge=True))]
        try:
            done, _ = await asyncio.wait(tasks, timeout=delay)
            if done:
                return tasks[0].result()
            other = self._choose(call.tried)
            if other in call.tried or not self._budget.withdraw():
                return await tasks[0]
            call.tried.append(other)
            self._metrics.hedges.labels(self.service).inc()
            left = max(0.001, min(call.deadline - self._clock(), budget - delay))
            tasks.append(asyncio.create_task(self._send(call, other, left, hedge=True)))
            return await _first_good(tasks)
        finally:
            for task in tasks:
                task.cancel()

    def _choose(self, tried: list[str]) -> str:
        pool = self._pool()
        if not pool:
            raise ServiceUnavailable(
                f"No instance of the {self.service} service is known.", code="upstream_unknown"
            )
        usable = self._health.healthy(self.outliers.available(pool))
        # Too few left: the checks more likely fail than the instances (a panic threshold).
        if len(usable) * 2 < len(pool):
            usable = pool
        fresh = [instance for instance in usable if instance not in tried] or usable
        return self._balancer.pick(self._local(fresh) or fresh, self.stats)

    def _local(self, candidates: list[str]) -> list[str]:
        """The candidates in the caller's region, while they are not too busy (Ribbon's zone
        affinity); empty when affinity is off or unknown, none is local or they are busy, so
        the call spreads over the whole pool: a region is a preference, never a trap."""
        source = self._source
        if not (self._policy.region_affinity and self._region) or not isinstance(
            source, RegionalSource
        ):
            return []
        local = [c for c in candidates if source.region_of(self.service, c) == self._region]
        if not local:
            return []
        load = sum(self.stats.of(c).outstanding for c in local) / len(local)
        return local if load < self._policy.affinity_max_outstanding else []

    async def _send(
        self, call: _Call, instance: str, budget: float, *, hedge: bool = False
    ) -> httpx.Response:
        request = _aimed(call, instance, budget)
        stats = self.stats.of(instance)
        stats.outstanding += 1
        started = self._clock()
        try:
            async with asyncio.timeout(budget):
                response = await self._inner.handle_async_request(request)
                # Read whole (and so closed) here, within the attempt's time: it is the answer.
                await response.aread()
        except asyncio.CancelledError:
            stats.outstanding -= 1  # our caller gave up: says nothing about the instance...
            now = self._clock()
            if hedge and now - started > stats.estimate(now):
                # ...unless a hedge beat it: it was at least this slow, and the balancer must
                # know, or it keeps choosing the instance whose answers never arrive in time.
                stats.observe(now - started, now)
            raise
        except (TimeoutError, httpx.TransportError) as exc:
            refused = isinstance(exc, httpx.ConnectError)  # nothing listens: dead, not slow
            self._outcome(instance, failed=True, started=started, refused=refused)
            if isinstance(exc, TimeoutError):
                message = f"the {self.service} service did not answer in time"
                raise httpx.ReadTimeout(message) from exc
            raise
        self._outcome(instance, failed=response.status_code >= 500, started=started)
        return response

    def _outcome(
        self, instance: str, *, failed: bool, started: float, refused: bool = False
    ) -> None:
        now = self._clock()
        stats = self.stats.of(instance)
        stats.outstanding -= 1
        # A refused connection fails in microseconds: taken as its latency, it would make the
        # dead instance the balancer's favourite. A failure counts as slow.
        stats.observe(max(now - started, FAILURE_LATENCY_S) if failed else now - started, now)
        if not failed:
            self._hedge.observe(now - started)
        if failed:
            self.outliers.failure(instance, self._pool(), refused=refused)
        else:
            self.outliers.success(instance)

    def _stale(self, call: _Call) -> httpx.Response | None:
        if call.request.method != "GET" or not call.route.stale_fallback:
            return None
        kept = self._last_good.get(str(call.request.url))
        if kept is None:
            return None
        self._metrics.fallbacks.labels(self.service).inc()
        mark_stale(self.service)
        headers = [*kept.headers, (STALE_HEADER.encode(), b"1")]
        return httpx.Response(kept.status, headers=headers, content=kept.body)

    async def aclose(self) -> None:
        await self._health.aclose()
        await self._inner.aclose()


async def _first_good(tasks: list[asyncio.Task[httpx.Response]]) -> httpx.Response:
    """The first answer that is not a failure; if all fail, the last failure."""
    pending = set(tasks)
    last = tasks[0]
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            last = task
            if task.exception() is None and task.result().status_code < 500:
                return task.result()
    return last.result()


def _client_timeout(request: httpx.Request) -> float:
    read = request.extensions.get("timeout", {}).get("read")
    return float(read) if read else _DEFAULT_TIMEOUT_S


@functools.lru_cache(maxsize=1024)
def _origin(instance: str) -> tuple[str, str, int | None]:
    """An instance URL's (scheme, host, port), parsed once: httpx's URL parsing was a fifth
    of the gateway's CPU per proxied request."""
    target = httpx.URL(instance)
    return target.scheme, target.host, target.port


def _aimed(call: _Call, instance: str, budget: float) -> httpx.Request:
    """The call's request sent to `instance`, carrying the time it has left."""
    scheme, host, port = _origin(instance)
    url = call.request.url
    if (url.scheme, url.host, url.port) != (scheme, host, port):
        # Several instances: the client's base URL names one, this attempt goes to another.
        url = url.copy_with(scheme=scheme, host=host, port=port)
    headers = [(k, v) for k, v in call.request.headers.raw if k.lower() not in _REPLACED]
    headers.append((_DEADLINE, deadline.header_value(budget).encode()))
    timeout = {"connect": budget, "read": budget, "write": budget, "pool": budget}
    extensions = {**call.request.extensions, "timeout": timeout}
    return lean_request(call.request.method, url, headers, call.body, extensions)
