"""The gateway process: the web app and `/api`, in front of the accounts and catalog services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from vodstack.clients.resilience.metrics import ResilienceMetrics
from vodstack.config.settings import Settings
from vodstack.core.app import create_service_app
from vodstack.gateway.api import api_router
from vodstack.gateway.api.listing import ListingRoute
from vodstack.gateway.api.swagger import OPENAPI_URL
from vodstack.gateway.api.title_media import AUDIO_PREFIX, MAX_AUDIO_BYTES
from vodstack.gateway.api.uploads import MAX_SLICE_BYTES, UPLOADS_PREFIX
from vodstack.gateway.cors import PlaybackCors
from vodstack.gateway.csrf import CsrfCookieMiddleware
from vodstack.gateway.shedding import LoadShedder
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Transports, Upstreams
from vodstack.gateway.vendor import PLAYER_WEB_DIR, PLAYER_WEB_URL, STATIC_DIR
from vodstack.gateway.web import web_router
from vodstack.gateway.web.errors import install_page_errors
from vodstack.gateway.web.templating import Pages

SERVICE = "gateway"


def create_app(settings: Settings, *, transports: Transports | None = None) -> FastAPI:
    """The gateway app; `transports` points upstream clients at in-process apps (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics: ResilienceMetrics = app.state.resilience_metrics
        upstreams = Upstreams.connect(settings, transports, metrics=metrics)
        app.state.upstreams = upstreams
        try:
            yield
        finally:
            await upstreams.aclose()

    app = create_service_app(
        SERVICE,
        routers=[api_router(), web_router()],
        lifespan=lifespan,
        title="vodstack",
        docs_url=None,  # served by api/swagger.py from our own static files
        openapi_url=OPENAPI_URL,
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        larger_bodies={UPLOADS_PREFIX: MAX_SLICE_BYTES, AUDIO_PREFIX: MAX_AUDIO_BYTES},
        redis=settings.redis,
    )
    # First of all routes: plain listings skip the router's walk through every API route.
    app.router.routes.insert(0, ListingRoute())
    redis = app.state.redis
    app.state.gateway = (
        GatewayState.in_process(settings) if redis is None else GatewayState.shared(settings, redis)
    )
    # Once per app: its lifespan may run more than once (several test clients).
    app.state.resilience_metrics = ResilienceMetrics(app.state.metrics.registry)
    pages = Pages()
    app.state.pages = pages
    # Before /static, which would otherwise claim these paths.
    app.mount(
        PLAYER_WEB_URL,
        StaticFiles(directory=PLAYER_WEB_DIR, check_dir=False),
        name="player-web",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_page_errors(app, pages)
    app.add_middleware(CsrfCookieMiddleware, secure=settings.secure_cookies)
    if settings.playback.cors_origins:
        app.add_middleware(PlaybackCors, origins=settings.playback.cors_origins)
    shedding = settings.resilience.shedding
    if shedding.enabled:
        # Outermost: a refused request costs the gateway as little as possible.
        app.add_middleware(LoadShedder, settings=shedding, registry=app.state.metrics.registry)
    return app
