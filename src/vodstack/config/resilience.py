"""Resilience policies as data: how each upstream (and route of it) is called, and how the
gateway sheds load. The machinery is in `clients/resilience/` and `gateway/shedding.py`;
docs/resilience.md explains each knob.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator


class BalancerKind(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_OUTSTANDING = "least_outstanding"
    # Two random instances, the one with the lower latency x outstanding (the default).
    P2C = "p2c"


class BreakerPolicy(BaseModel):
    """Open when, over the last `window` calls (at least `min_calls`), too many failed or were
    slow; after `open_s`, let `probes` calls through (half-open) and close if they all succeed."""

    window: int = Field(20, ge=1)
    min_calls: int = Field(10, ge=1)
    failure_rate: float = Field(0.5, gt=0, le=1)
    slow_call_s: float = Field(2.0, gt=0)
    slow_rate: float = Field(0.8, gt=0, le=1)
    open_s: float = Field(5.0, gt=0)
    probes: int = Field(3, ge=1)


class RetryPolicy(BaseModel):
    """Retries of idempotent calls (or calls with an Idempotency-Key): full-jitter backoff
    between `first_s` and `max_s`, capped by a budget of `budget_ratio` extra calls (plus a
    `budget_reserve` for quiet moments)."""

    attempts: int = Field(3, ge=1, le=10)
    first_s: float = Field(0.01, ge=0)
    max_s: float = Field(0.2, ge=0)
    budget_ratio: float = Field(0.1, ge=0, le=1)
    budget_reserve: float = Field(10.0, ge=0)


class HedgePolicy(BaseModel):
    """Hedged reads ("The Tail at Scale"): an idempotent call not answered after the
    `quantile` of this upstream's recent latencies (at least `min_s`) is sent to a second
    instance too, and the first answer wins. Hedges spend the retry budget, so they add at most
    about its ratio to the upstream's load."""

    enabled: bool = True
    quantile: float = Field(0.95, gt=0, lt=1)
    min_s: float = Field(0.02, ge=0)
    # Latencies kept to estimate the quantile (the most recent successful attempts).
    window: int = Field(256, ge=8)


class RoutePolicy(BaseModel):
    """Overrides for the paths of an upstream starting with a prefix (longest prefix wins)."""

    timeout_s: float | None = Field(None, gt=0)
    # Each attempt's own limit (the next one goes to another instance); None = what is left.
    try_timeout_s: float | None = Field(None, gt=0)
    retries: bool = True
    # Answer a failed GET with the last good answer of the same URL, marked possibly stale.
    stale_fallback: bool = False


class UpstreamPolicy(BaseModel):
    balancer: BalancerKind = BalancerKind.P2C
    # None = the platform's `upstream_timeout_s`.
    timeout_s: float | None = Field(None, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)
    # Calls in flight to this upstream at once; more fail fast (a bulkhead).
    max_in_flight: int = Field(256, ge=1)
    hedge: HedgePolicy = Field(default_factory=HedgePolicy)
    routes: dict[str, RoutePolicy] = Field(default_factory=dict)
    # Region affinity (Ribbon's zone affinity): pick among the instances in the caller's own
    # region while one of them is usable and they carry fewer than `affinity_max_outstanding`
    # calls each from this client; otherwise among all. Needs a caller placed in a region and
    # a source that knows the instances' regions (the registry); without, no effect. Off by
    # default: on one host regions are labels, and spreading over every instance wins.
    region_affinity: bool = False
    affinity_max_outstanding: float = Field(1.0, gt=0)

    def route(self, path: str) -> RoutePolicy:
        prefixes = sorted((p for p in self.routes if path.startswith(p)), key=len, reverse=True)
        return self.routes[prefixes[0]] if prefixes else RoutePolicy()


def _default_upstreams() -> dict[str, UpstreamPolicy]:
    browse = RoutePolicy(stale_fallback=True)
    # Never a stale change feed: replayed, it would vouch for titles kept through an outage
    # (services/playback/titles.py).
    feed = RoutePolicy()
    routes = {"/v1/titles": browse, "/v1/genres": browse, "/v1/titles/changes": feed}
    return {"catalog": UpstreamPolicy(routes=routes)}


class OutlierPolicy(BaseModel):
    """Passive ejection: `consecutive_failures` in a row eject an instance for `base_s`, doubling
    with each ejection up to `max_s`; never more than `max_ejected_share` of a pool."""

    consecutive_failures: int = Field(5, ge=1)
    base_s: float = Field(5.0, gt=0)
    max_s: float = Field(120.0, gt=0)
    max_ejected_share: float = Field(0.5, ge=0, le=1)


class Priority(IntEnum):
    """Higher sheds later."""

    LOW = 0  # search, admin, uploads
    NORMAL = 1  # browse, pages
    CRITICAL = 2  # playback start, heartbeats, player events


def _default_priorities() -> dict[str, Priority]:
    return {
        "/api/playback": Priority.CRITICAL,
        "/api/events": Priority.CRITICAL,
        "/watch": Priority.CRITICAL,
        "/api/search": Priority.LOW,
        "/search": Priority.LOW,
        "/api/admin": Priority.LOW,
        "/admin": Priority.LOW,
    }


class SheddingSettings(BaseModel):
    """The gateway's adaptive concurrency limit (AIMD): +1 while requests are quick and the
    limit is in use, x`backoff_ratio` when one takes longer than `slow_s`."""

    enabled: bool = True
    initial_limit: int = Field(200, ge=1)
    # Above concurrency-limits' 20: the gateway's own benchmark drives 32 connections of browsing.
    min_limit: int = Field(50, ge=1)
    max_limit: int = Field(2000, ge=1)
    slow_s: float = Field(1.0, gt=0)
    backoff_ratio: float = Field(0.9, gt=0, lt=1)
    # Share of the limit each priority may fill: the lowest is refused first.
    shares: dict[Priority, float] = Field(
        default_factory=lambda: {Priority.LOW: 0.5, Priority.NORMAL: 0.8, Priority.CRITICAL: 1.0}
    )
    priorities: dict[str, Priority] = Field(default_factory=_default_priorities)
    # Slow by nature (an upload slice waits for the pipeline): their time says nothing of load.
    unmeasured: list[str] = Field(default_factory=lambda: ["/api/admin/uploads/"])
    retry_after_s: int = Field(1, ge=1)

    def priority(self, path: str) -> Priority:
        prefixes = sorted((p for p in self.priorities if path.startswith(p)), key=len)
        return self.priorities[prefixes[-1]] if prefixes else Priority.NORMAL


class ResilienceSettings(BaseModel):
    # Base URLs per service for several instances started by hand (tests, benchmarks); a
    # service not named here has its one `service_url`.
    instances: dict[str, list[str]] = Field(default_factory=dict)
    upstreams: dict[str, UpstreamPolicy] = Field(default_factory=_default_upstreams)
    outliers: OutlierPolicy = Field(default_factory=OutlierPolicy)
    health_interval_s: float = Field(2.0, gt=0)
    health_timeout_s: float = Field(1.0, gt=0)
    # A page (the home page) answers within `upstream_timeout_s` of its arrival: its upstream
    # calls get that less this reserve for rendering, then fall back (docs/resilience.md).
    page_render_reserve_s: float = Field(0.15, ge=0)
    shedding: SheddingSettings = Field(default_factory=SheddingSettings)

    @field_validator("upstreams", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """What is given refines the defaults (a catalog timeout keeps the catalog's fallbacks)."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {k: p.model_dump() for k, p in _default_upstreams().items()}
        for name, policy in value.items():
            given = (
                policy.model_dump(exclude_unset=True) if isinstance(policy, BaseModel) else policy
            )
            merged[name] = _deep_merge(merged.get(name, {}), given)
        return merged

    def upstream(self, service: str) -> UpstreamPolicy:
        return self.upstreams.get(service) or UpstreamPolicy()


def _deep_merge(base: dict[str, Any], given: Any) -> Any:
    if not isinstance(given, dict):
        return given
    merged = dict(base)
    for key, value in given.items():
        old = merged.get(key)
        merged[key] = _deep_merge(old, value) if isinstance(old, dict) else value
    return merged
