"""The autoscaler as a process of its own: `vodstack serve autoscaler`, owned by the supervisor.

A process rather than a task inside the supervisor: its scrapes and decisions never delay the
supervisor's health checks, and it is supervised like any service (its /healthz probed, a crash
or a hang replaced, its pid in the ledger, dies with the supervisor). It serves only /healthz
and /metrics (the instance counts it wants, rounds and actions); its loop is a `core.Periodic`
owned by the app's lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from vodstack.config import Settings
from vodstack.core.app import create_service_app
from vodstack.core.metrics import ServiceMetrics
from vodstack.core.periodic import Periodic
from vodstack.supervisor.autoscale.loop import Autoscaler


class AutoscalerMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        registry = metrics.registry
        self.desired = Gauge(
            "vodstack_autoscaler_desired_instances",
            "Instances the autoscaler wants per service",
            ["service"],
            registry=registry,
        )
        self.recommended = Gauge(
            "vodstack_autoscaler_recommended_instances",
            "Instances the metrics ask for, before the stabilization windows",
            ["service"],
            registry=registry,
        )
        self.actions = Counter(
            "vodstack_autoscaler_actions_total",
            "Instance counts changed by the autoscaler",
            ["service", "action"],
            registry=registry,
        )


def create_app(settings: Settings) -> FastAPI:
    # A line per scrape (several a second) would drown the decisions in the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exported = AutoscalerMetrics(app.state.metrics)
        async with httpx.AsyncClient() as client:
            autoscaler = Autoscaler(settings, client)

            async def step() -> None:
                for decision in await autoscaler.round():
                    exported.desired.labels(decision.service).set(decision.desired)
                    exported.recommended.labels(decision.service).set(decision.recommended)
                    if decision.acted:
                        exported.actions.labels(decision.service, decision.action).inc()

            async with Periodic("autoscaler", step, settings.autoscale.interval_s):
                yield

    return create_service_app(
        "autoscaler", routers=[], lifespan=lifespan, docs_url=None, openapi_url=None
    )
