"""The playback service process: `create_app(settings)` wires database, catalog, CDN and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.clients.billing import BillingClient
from vodstack.clients.catalog import CatalogClient
from vodstack.clients.feed_cache import FeedCache
from vodstack.clients.history import HistoryClient
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.settings import Settings
from vodstack.contracts.billing import Entitlement
from vodstack.contracts.catalog import Title
from vodstack.control.health import HealthMonitor
from vodstack.control.steering import Steering
from vodstack.core import migrations
from vodstack.core.app import create_service_app
from vodstack.core.db import DatabaseHealth, make_engine, make_sessionmaker
from vodstack.core.periodic import Periodic
from vodstack.core.service_auth import ServiceTokens
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology
from vodstack.services.playback import start_route
from vodstack.services.playback.api import ROUTERS
from vodstack.services.playback.assets import AssetFiles
from vodstack.services.playback.clock import Clock, utc_now
from vodstack.services.playback.edges import EdgeRanker, SteeringEdges
from vodstack.services.playback.entitlements import BillingReplica, CachedEntitlements
from vodstack.services.playback.keys import KeyVault, KeyWrap
from vodstack.services.playback.licences import LicenceService
from vodstack.services.playback.repository import SessionStore
from vodstack.services.playback.resume_points import CachedResumePoints, HistoryReplica, Kept
from vodstack.services.playback.service import Collaborators, PlaybackService
from vodstack.services.playback.sweeper import sweeper
from vodstack.services.playback.titles import CachedTitles
from vodstack.storage import open_object_store

SERVICE = "playback"
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def migrate(engine: Engine) -> None:
    """Bring the playback database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, SERVICE, MIGRATIONS)


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    edges: EdgeRanker | None = None,
    catalog_transport: httpx.AsyncBaseTransport | None = None,
    history_transport: httpx.AsyncBaseTransport | None = None,
    billing_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The playback app. `clock`, `edges` and the transports are for tests.

    Without `edges`, the CDN's steering ranks them, fed by a health monitor this app owns.
    """
    database = DatabaseHealth()
    feed_s = settings.playback.change_feed_s
    topology = Topology.from_settings(settings)
    monitor = HealthMonitor.from_settings(settings, topology.edges)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url(SERVICE))
        catalog = CatalogClient.of(
            settings,
            "playback",
            timeout=settings.upstream_timeout_s,
            transport=ResilientTransport.over(settings, "catalog", catalog_transport),
        )
        # Resume points only: the short timeout bounds what a slow history costs a start.
        history = HistoryClient.of(
            settings,
            "playback",
            timeout=settings.playback.resume_timeout_s,
            transport=ResilientTransport.over(settings, "history", history_transport),
        )
        # Entitlement only: a start waits at most `entitlement_timeout_s` for it.
        billing = BillingClient.of(
            settings,
            "playback",
            timeout=settings.playback.entitlement_timeout_s,
            transport=ResilientTransport.over(settings, "billing", billing_transport),
        )
        # The replica's snapshot lists every subscriber: read without the start's short timeout.
        billing_feed = BillingClient.of(
            settings,
            "playback",
            timeout=settings.upstream_timeout_s,
            transport=ResilientTransport.over(settings, "billing", billing_transport),
        )
        # A feed read older than three intervals (its task stalled) vouches for nothing.
        kept_titles: FeedCache[Title] = FeedCache("titles", catalog.changes, fresh_s=3 * feed_s)
        kept_entitlements: FeedCache[Entitlement] = FeedCache(
            "entitlements", billing.changes, fresh_s=3 * feed_s
        )
        kept_resume: FeedCache[Kept] = FeedCache(
            "resume points", history.changes, fresh_s=3 * feed_s
        )
        billed = BillingReplica(billing_feed, fresh_s=3 * feed_s)
        # Its snapshot lists every profile that watched: without the start's short timeout.
        history_feed = HistoryClient.of(
            settings,
            "playback",
            timeout=settings.upstream_timeout_s,
            transport=ResilientTransport.over(settings, "history", history_transport),
        )
        watched = HistoryReplica(history_feed, fresh_s=3 * feed_s)
        feeds = [
            Periodic("playback title feed", kept_titles.poll, feed_s),
            Periodic("playback entitlement feed", kept_entitlements.poll, feed_s),
            Periodic("playback billed accounts", billed.poll, feed_s),
            Periodic("playback resume feed", kept_resume.poll, feed_s),
            Periodic("playback watched profiles", watched.poll, feed_s),
        ]
        sweeps: Periodic | None = None
        store: SessionStore | None = None
        try:
            migrate(engine)
            store = SessionStore(
                make_sessionmaker(engine),
                timedelta(seconds=settings.playback.stream_timeout_s),
                clock,
            )
            parts = Collaborators(
                store=store,
                catalog=CachedTitles(catalog, kept_titles),
                history=CachedResumePoints(history, kept_resume, watched),
                assets=AssetFiles(open_object_store(settings)),
                edges=edges or SteeringEdges(Steering(topology, monitor)),
                signer=TokenSigner.from_settings(settings),
                billing=CachedEntitlements(billing, kept_entitlements, billed),
            )
            app.state.billed_accounts = billed  # read by tests and operators
            app.state.watched_profiles = watched
            app.state.playback = PlaybackService(
                parts, settings.playback, clock, gateway_url=settings.gateway_url
            )
            vault = KeyVault(make_sessionmaker(engine), KeyWrap(settings.secret()), clock)
            app.state.licences = LicenceService(app.state.playback, vault)
            sweeps = sweeper(app.state.playback, settings.playback.sweep_s)
            sweeps.start()
            for feed in feeds:
                feed.start()
            database.engine = engine
            if edges is None:
                await monitor.start()
            yield
        finally:
            for feed in feeds:
                await feed.stop()
            if sweeps is not None:
                await sweeps.stop()
            await monitor.stop()
            database.engine = None
            if store is not None:
                store.close()  # the event loop's connection, before the engine's pool goes
            await catalog.aclose()
            await history.aclose()
            await billing.aclose()
            await billing_feed.aclose()
            await history_feed.aclose()
            engine.dispose()

    internal = ServiceTokens.from_settings(settings, SERVICE)
    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=database.healthy,
        internal=internal,
        max_body_bytes=settings.body_limits.for_service(SERVICE),
    )
    start_route.install(app, internal)  # plain starts skip FastAPI's handling (start_route.py)
    return app
