"""The gateway's typed clients of the services it fronts, owned by the app's lifespan.

Each service's client is balanced and guarded by a `ResilientTransport` (docs/resilience.md)
over the instances its `InstanceSource` names; the static source reads them from settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from vodstack.clients.accounts import AccountsClient
from vodstack.clients.billing import BillingClient
from vodstack.clients.catalog import CatalogClient
from vodstack.clients.events import EventsClient
from vodstack.clients.experiments import ExperimentsClient
from vodstack.clients.history import HistoryClient
from vodstack.clients.instances import InstanceSource, instance_source
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.pipeline import PipelineClient
from vodstack.clients.playback import PlaybackClient
from vodstack.clients.recs import RecsClient
from vodstack.clients.resilience.metrics import ResilienceMetrics
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.clients.telemetry import TelemetryClient
from vodstack.config.settings import Settings
from vodstack.gateway.asset_files import AssetFiles

Transports = Mapping[str, httpx.AsyncBaseTransport]
# An upload chunk is megabytes, and the last one waits for the pipeline's media probe.
# The name this process gives in its service tokens (core.service_auth).
CALLER = "gateway"
_PIPELINE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Upstreams:
    accounts: AccountsClient
    catalog: CatalogClient
    playback: PlaybackClient
    pipeline: PipelineClient
    assets: AssetFiles
    events: EventsClient
    history: HistoryClient
    telemetry: TelemetryClient
    recs: RecsClient
    billing: BillingClient
    experiments: ExperimentsClient

    @classmethod
    def connect(
        cls,
        settings: Settings,
        transports: Transports | None = None,
        *,
        source: InstanceSource | None = None,
        metrics: ResilienceMetrics | None = None,
    ) -> Upstreams:
        """Clients for every upstream; `transports` routes one to an in-process app in tests.

        Real upstreams go through `KeepAliveTransport` (see there for why not httpx's pool).
        """
        chosen = transports or {}
        timeout = settings.upstream_timeout_s
        instances = source or instance_source(settings)  # one source shared by all clients
        shared_metrics = metrics or ResilienceMetrics()

        def transport(name: str) -> httpx.AsyncBaseTransport:
            inner = chosen.get(name) or KeepAliveTransport()
            return ResilientTransport.over(
                settings, name, inner, source=instances, metrics=shared_metrics
            )

        return cls(
            accounts=AccountsClient.of(
                settings, CALLER, timeout=timeout, transport=transport("accounts")
            ),
            catalog=CatalogClient.of(
                settings, CALLER, timeout=timeout, transport=transport("catalog")
            ),
            playback=PlaybackClient.of(
                settings, CALLER, timeout=timeout, transport=transport("playback")
            ),
            pipeline=PipelineClient.of(
                settings,
                CALLER,
                timeout=max(timeout, _PIPELINE_TIMEOUT_S),
                transport=transport("pipeline"),
            ),
            # The origin is the CDN's: its edges have their own steering and health.
            assets=AssetFiles.from_settings(settings, chosen.get("origin") or KeepAliveTransport()),
            events=EventsClient.of(
                settings, CALLER, timeout=timeout, transport=transport("events")
            ),
            history=HistoryClient.of(
                settings, CALLER, timeout=timeout, transport=transport("history")
            ),
            telemetry=TelemetryClient.of(
                settings, CALLER, timeout=timeout, transport=transport("telemetry")
            ),
            recs=RecsClient.of(settings, CALLER, timeout=timeout, transport=transport("recs")),
            billing=BillingClient.of(
                settings, CALLER, timeout=timeout, transport=transport("billing")
            ),
            experiments=ExperimentsClient.of(
                settings, CALLER, timeout=timeout, transport=transport("experiments")
            ),
        )

    async def aclose(self) -> None:
        await self.accounts.aclose()
        await self.catalog.aclose()
        await self.playback.aclose()
        await self.pipeline.aclose()
        await self.assets.aclose()
        await self.events.aclose()
        await self.history.aclose()
        await self.telemetry.aclose()
        await self.recs.aclose()
        await self.billing.aclose()
        await self.experiments.aclose()
