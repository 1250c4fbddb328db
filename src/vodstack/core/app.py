"""The service app factory: every process gets /healthz, /metrics, request ids, one error shape.

Error body, the same for every service and the gateway (core.responses):

    {"error": {"code": "email_taken", "message": "...", "request_id": "...", "details": [...]}}
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vodstack.config.settings import RedisSettings
from vodstack.core.answer_cache import AnswerCache, CachedReads
from vodstack.core.answer_store import AnswerStore, MemoryAnswers
from vodstack.core.body_limit import BodyLimitMiddleware
from vodstack.core.deadline import DeadlineMiddleware
from vodstack.core.errors import TooManyRequests, Unauthorized, UpstreamError, VodstackError
from vodstack.core.metrics import ObservabilityMiddleware, ServiceMetrics
from vodstack.core.redis_answers import RedisAnswers
from vodstack.core.redis_guard import RedisGuard
from vodstack.core.replay_path import ReplayPath, ServiceApp
from vodstack.core.responses import error_response
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceTokens

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # config.settings.BodyLimits is what services pass

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
HealthCheck = Callable[[], bool]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        details.append({"field": ".".join(loc) or "request", "message": str(err.get("msg", ""))})
    return details


def _human_validation_message(details: list[dict[str, Any]]) -> str:
    if not details:
        return "The request is malformed."
    first = details[0]
    more = f" (and {len(details) - 1} more problems)" if len(details) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"


def install_error_handlers(app: FastAPI) -> None:
    """Map the exception tree to HTTP: the one place where that happens."""

    @app.exception_handler(VodstackError)
    async def _vodstack(_: Request, exc: VodstackError) -> JSONResponse:
        headers = None
        if isinstance(exc, TooManyRequests | UpstreamError) and exc.retry_after:
            headers = {"Retry-After": str(exc.retry_after)}
        if exc.status_code >= 500:
            log.error("%s: %s", exc.code, exc.message)
        return error_response(exc.status_code, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        return error_response(422, "invalid", _human_validation_message(details), details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return error_response(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal", "Something went wrong on our side; it was logged.")


def _admits(internal: ServiceTokens | None) -> Callable[[Any], bool]:
    """Whether the app would let a request through its service-token guard."""
    name = SERVICE_TOKEN_HEADER.encode()

    def admits(scope: Any) -> bool:
        if internal is None:
            return True
        token = None
        for key, value in scope["headers"]:  # a loop, not a generator: once per request
            if key == name:
                token = value.decode("latin-1")
                break
        try:
            internal.verify(token)
        except Unauthorized:
            return False
        return True

    return admits


def _answer_store(
    service: str,
    cached_reads: CachedReads | None,
    guard: RedisGuard | None,
    redis: RedisSettings | None,
) -> AnswerStore | None:
    if cached_reads is None:
        return None
    if guard is not None and redis is not None:
        return RedisAnswers(
            guard, service, ttl_s=redis.answer_ttl_s, data_version=cached_reads.version
        )
    if cached_reads.version is not None:
        # The version once per loop iteration: a request read from a socket after a commit is
        # looked up in a later iteration (core.iteration_version), a write here drops it.
        return MemoryAnswers(cached_reads.version, per_iteration=True)
    return None  # no version to trust and nowhere shared: every read goes to the app


def create_service_app(
    service: str,
    *,
    routers: Sequence[APIRouter],
    lifespan: Lifespan | None = None,
    health: HealthCheck | None = None,
    title: str | None = None,
    docs_url: str | None = "/docs",
    openapi_url: str | None = "/openapi.json",
    internal: ServiceTokens | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    larger_bodies: Mapping[str, int] | None = None,
    cached_reads: CachedReads | None = None,
    redis: RedisSettings | None = None,
    answer_store: AnswerStore | None = None,
) -> FastAPI:
    """A FastAPI app with the platform's standard endpoints, middleware and error mapping.

    With `internal`, every route of `routers` needs a service token for this service
    (core.service_auth); /healthz and /metrics stay open to probes and scrapers. Request bodies
    above `max_body_bytes` are refused with 413 before a route reads them; `larger_bodies` gives
    path prefixes (uploads) their own cap. With `cached_reads`, 200 answers of those GET routes
    are replayed from memory until the data's version changes (core.answer_cache). With
    `redis` (a URL set), the app gets a `RedisGuard` (`app.state.redis`) and keeps those answers
    in Redis, shared by every instance (core.redis_answers). `answer_store` keeps them in a
    store of the service's own instead (core.keyed_answers: dropped per profile).
    """

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            if app.state.redis is not None:
                await app.state.redis.aclose()

    app = ServiceApp(
        title=title or f"vodstack {service}",
        lifespan=_lifespan,
        docs_url=docs_url,
        redoc_url=None,
        openapi_url=openapi_url,
        # FastAPI's OpenTelemetry hook asks three global providers whether they are configured
        # on every request (about 5 µs, a tenth of a cached read); the platform exports its
        # own Prometheus metrics (core.metrics) and configures no OpenTelemetry.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    metrics = ServiceMetrics(service)
    app.state.metrics = metrics
    app.state.service = service
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok = health() if health is not None else True
        # The pid tells a supervisor which of several processes sharing a port answered.
        body = {"service": service, "ok": ok, "pid": os.getpid()}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    guard = [Depends(internal.require)] if internal is not None else []
    for router in routers:
        app.include_router(router, dependencies=guard)
    shared = RedisGuard.from_settings(redis, metrics.registry) if redis is not None else None
    app.state.redis = shared
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, larger=larger_bodies)
    app.add_middleware(DeadlineMiddleware)
    store = answer_store or _answer_store(service, cached_reads, shared, redis)
    replay = None
    if cached_reads is not None and store is not None:
        admits = _admits(internal)
        # Hits are answered in front of everything (core.replay_path); misses and writes meet
        # the cache outside the deadline and the body cap (a fill reads no body and does no
        # work a deadline could stop), inside the metrics and the access line (counted).
        paths, clock = cached_reads.paths, cached_reads.clock
        app.add_middleware(AnswerCache, paths=paths, store=store, admits=admits, clock=clock)
        replay = ReplayPath(paths=paths, store=store, admits=admits, metrics=metrics, clock=clock)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.replay = replay  # after the last add_middleware, which turns it off
    return app
