"""The resilience layer's Prometheus metrics, in the registry of the process that calls."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ResilienceMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self.circuit_state = Gauge(
            "vodstack_circuit_state",
            "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
            ["upstream"],
            registry=registry,
        )
        self.transitions = Counter(
            "vodstack_circuit_transitions_total",
            "Circuit breaker state changes",
            ["upstream", "state"],
            registry=registry,
        )
        self.retries = Counter(
            "vodstack_upstream_retries_total", "Calls retried", ["upstream"], registry=registry
        )
        self.rejected = Counter(
            "vodstack_upstream_rejected_total",
            "Calls refused before going out (circuit open, bulkhead full)",
            ["upstream", "reason"],
            registry=registry,
        )
        self.hedges = Counter(
            "vodstack_upstream_hedges_total",
            "Reads sent to a second instance because the first was slow to answer",
            ["upstream"],
            registry=registry,
        )
        self.fallbacks = Counter(
            "vodstack_upstream_fallbacks_total",
            "Failed calls answered from the last good answer (possibly stale)",
            ["upstream"],
            registry=registry,
        )
