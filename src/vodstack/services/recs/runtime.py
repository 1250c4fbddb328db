"""The recommendations service's moving parts, owned by its app's lifespan: the `recs`
consumer, the store, the snapshots and the trainer (one run at a time, in a thread)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.history import HistoryClient
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.telemetry import TelemetryClient
from vodstack.config.settings import Settings
from vodstack.contracts.recs import TrainPhase, TrainStatus
from vodstack.core.keyed_answers import KeyedAnswers
from vodstack.services.recs.models import RecencyEase
from vodstack.services.recs.repository import RecsStore
from vodstack.services.recs.snapshots import (
    CatalogSnapshot,
    PopularitySnapshot,
    load_catalog,
    load_popularity,
)
from vodstack.services.recs.trainer import train
from vodstack.services.recs.watched import WatchedSink

SERVICE = "recs"
log = logging.getLogger(__name__)


@dataclass
class Clients:
    catalog: CatalogClient
    telemetry: TelemetryClient
    history: HistoryClient

    @classmethod
    def of(cls, settings: Settings) -> Clients:
        timeout = settings.upstream_timeout_s
        return cls(
            CatalogClient.of(settings, SERVICE, timeout=timeout),
            TelemetryClient.of(settings, SERVICE, timeout=timeout),
            # Asked on every home-rows request: the lean transport (clients.keepalive).
            HistoryClient.of(settings, SERVICE, timeout=timeout, transport=KeepAliveTransport()),
        )

    async def aclose(self) -> None:
        await self.catalog.aclose()
        await self.telemetry.aclose()
        await self.history.aclose()


@dataclass
class RecsRuntime:
    settings: Settings
    watched: WatchedSink
    store: RecsStore
    clients: Clients
    catalog: CatalogSnapshot = field(default_factory=CatalogSnapshot)
    popular: PopularitySnapshot = field(default_factory=PopularitySnapshot)
    # The home rows kept as bytes (services/recs/freshness.py); None: nothing is kept.
    kept_rows: KeyedAnswers | None = None
    _training: asyncio.Lock = field(default_factory=asyncio.Lock)
    _status: TrainStatus | None = None
    _tuned: tuple[float, float, float] | None = None  # (L2, decay, monotonic time chosen)

    async def refresh_catalog(self) -> None:
        catalog = await load_catalog(self.clients.catalog)
        if catalog != self.catalog:
            self.catalog = catalog
            self._drop_kept()  # after the swap: a page computed meanwhile is not kept

    async def refresh_popularity(self) -> None:
        popular = await load_popularity(
            self.clients.telemetry, self.settings.recs.trending_half_life_h
        )
        if popular != self.popular:
            self.popular = popular
            self._drop_kept()

    def _drop_kept(self) -> None:
        if self.kept_rows is not None:
            self.kept_rows.drop_all()

    def model(self) -> RecencyEase:
        """The settings' L2 and decay where set; otherwise the last run's choice while it is
        younger than `recs.retune_every_s`; otherwise chosen afresh by the fit."""
        recs = self.settings.recs
        l2, decay = recs.l2, recs.decay
        if self._tuned and time.monotonic() - self._tuned[2] < recs.retune_every_s:
            l2 = self._tuned[0] if l2 is None else l2
            decay = self._tuned[1] if decay is None else decay
        return RecencyEase(l2=l2, decay=decay)

    async def train(self) -> TrainStatus:
        """Run the trainer now; returns once it is done. A call during a run waits for it and
        then trains again, so what it returns includes everything recorded before the call."""
        async with self._training:
            self._status = self.status().model_copy(
                update={"phase": TrainPhase.RUNNING, "message": "training"}
            )
            try:
                self._status = await asyncio.to_thread(self._train)
            except Exception as exc:
                log.exception("training failed")
                self._status = self.status().model_copy(
                    update={"phase": TrainPhase.FAILED, "message": f"training failed: {exc}"}
                )
            finally:
                # Once the store holds the run (or whatever a failed one left): every row.
                self._drop_kept()
            return self._status

    def _train(self) -> TrainStatus:
        model = self.model()
        trained = train(self.watched.interactions(), model=model)
        self.store.replace(trained)
        self._status = None
        if model.chosen_l2 <= 0:  # nothing to fit on yet
            return self.status(f"trained {trained.model} in {trained.seconds:.2f} s")
        if model.l2 is None or model.decay is None:
            self._tuned = (model.chosen_l2, model.chosen_decay, time.monotonic())
        return self.status(
            f"trained {trained.model} (L2 {model.chosen_l2:g}, decay {model.chosen_decay:g}) "
            f"in {trained.seconds:.2f} s"
        )

    def status(self, message: str = "") -> TrainStatus:
        if self._status is not None:
            return self._status
        run = self.store.last_run()
        if run is None:
            return TrainStatus(
                phase=TrainPhase.IDLE,
                model=self.model().name,
                profiles=0,
                titles=0,
                interactions=0,
                seconds=0.0,
                trained_at=None,
                message=message or "not trained yet",
            )
        model, profiles, titles, interactions, seconds, at = run
        return TrainStatus(
            phase=TrainPhase.DONE,
            model=model,
            profiles=profiles,
            titles=titles,
            interactions=interactions,
            seconds=seconds,
            trained_at=at,
            message=message or f"last trained {at.isoformat()}",
        )

    def trained_at(self) -> datetime | None:
        run = self.store.last_run()
        return None if run is None else run[5]
