"""The origin: the object store, read-only over HTTP, for edges (and viewers as last resort).

`/v/{title}/{version}/{file}` maps to the object key `titles/{title}/{version}/{file}`
(`delivery/assets.py`), read through the `ObjectStore` interface, so the origin serves whatever
backend the pipeline publishes to. The same token as on edges is required (edges sign their own
with the shared key), the same URL grammar keeps keys valid, and each request stats the object,
since the pipeline may publish at any time.

Bytes go out zero-copy from the backend's `local_path` when it has one (the local directory);
a backend without local files (S3) is streamed, a request's range fetched alone
(`stream_response`). A backend that is down is a 503 naming it, never a 500 or a hang.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import BinaryIO

import httpx

from vodstack.cdn.file_response import (
    Conditions,
    FileDescriber,
    ServedFile,
    read_conditions,
    send_error,
    send_file,
)
from vodstack.cdn.lifespan import serve_lifespan
from vodstack.cdn.listing import AUDIENCE as LISTING_AUDIENCE
from vodstack.cdn.listing import PATH as LISTING_PATH
from vodstack.cdn.listing import send_listing
from vodstack.cdn.revocations import RevocationFeed
from vodstack.cdn.service_routes import READ_METHODS, serve_service_route
from vodstack.cdn.stats import OriginStats
from vodstack.cdn.stream_response import SpanOpener, send_stream
from vodstack.config import Settings
from vodstack.core.errors import Forbidden, NotFound, ServiceUnavailable, VodstackError
from vodstack.core.metrics import Receive, Scope, Send
from vodstack.core.service_auth import ServiceTokens
from vodstack.delivery.assets import URL_ROOT, parse_asset_path
from vodstack.delivery.tokens import TokenCheck, TokenSigner, refusal, token_from_query
from vodstack.storage import (
    InvalidKeyError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    ObjectStoreUnavailable,
    open_object_store,
)


class OriginApp:
    """Serves the published assets of `store` (the configured object store by default)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        store: ObjectStore | None = None,
    ) -> None:
        self.store = store if store is not None else open_object_store(settings)
        self.stats = OriginStats()
        self.signer = TokenSigner.from_settings(settings)
        self.tokens = ServiceTokens.from_settings(settings, LISTING_AUDIENCE)
        # Viewers reach the origin too (steering ranks it last): it refuses revoked sessions.
        self.revocations = RevocationFeed.from_settings(settings, "origin", transport)
        self._describer = FileDescriber(settings.cdn.manifest_ttl_s, [(b"x-served-by", b"origin")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await serve_lifespan(receive, send, self._startup, self.revocations.stop)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        is_asset = raw.startswith(URL_ROOT)
        status = 200
        self.stats.in_flight += 1
        try:
            if is_asset and scope["method"] in READ_METHODS:
                self.stats.served_bytes += await self._asset(scope, send, raw)
            else:
                await self._other(scope, send, raw)
        except VodstackError as exc:
            status = exc.status_code
            await send_error(scope, send, exc)
        finally:
            self.stats.in_flight -= 1
            if is_asset:
                self.stats.requests[str(status)] += 1

    async def _startup(self) -> None:
        self.revocations.start()

    async def _asset(self, scope: Scope, send: Send, raw: bytes) -> int:
        asset = parse_asset_path(raw)
        token = token_from_query(scope["query_string"])
        check = self.signer.verify(
            asset.prefix, token, path=asset.raw, revoked=self.revocations.revoked
        )
        if check is not TokenCheck.OK:
            self.stats.denied[check.value] += 1
            message, code = refusal(check)
            raise Forbidden(message, code=code)
        key = asset.store_key
        conditions = read_conditions(scope)
        path = self._local_path(key)
        if path is None and _plain_get(scope, conditions):
            return await self._stream_whole(scope, send, asset.prefix, asset.file, key)
        info = await self._stat(key, in_place=path is not None)
        where = str(path) if path is not None else key
        served = self._describer.describe(asset.prefix, asset.file, where, info.size, info.modified)
        if path is not None:
            return await send_file(scope, send, served, conditions)
        return await self._stream(scope, send, served, conditions, key)

    async def _stream_whole(
        self, scope: Scope, send: Send, prefix: bytes, file: str, key: str
    ) -> int:
        # An edge's fill: the GET's own headers give size and validators, one round trip, not two.
        try:
            info, reader = await asyncio.to_thread(self.store.open_with_info, key)
        except (ObjectNotFoundError, InvalidKeyError):
            raise NotFound("No such asset file.", code="not_found") from None
        except ObjectStoreUnavailable as exc:
            raise _unavailable(exc) from exc
        served = self._describer.describe(prefix, file, key, info.size, info.modified)
        return await self._stream(scope, send, served, Conditions(), key, lambda _a, _b: reader)

    async def _stream(
        self,
        scope: Scope,
        send: Send,
        served: ServedFile,
        conditions: Conditions,
        key: str,
        opener: SpanOpener | None = None,
    ) -> int:
        def open_span(start: int, end: int) -> BinaryIO:
            return self.store.open_range(key, start, end)

        try:
            return await send_stream(scope, send, served, conditions, opener or open_span)
        except ObjectNotFoundError:
            raise NotFound("No such asset file.", code="not_found") from None
        except ObjectStoreUnavailable as exc:
            raise _unavailable(exc) from exc

    def _local_path(self, key: str) -> Path | None:
        try:
            return self.store.local_path(key)
        except InvalidKeyError:
            raise NotFound("No such asset file.", code="not_found") from None

    async def _stat(self, key: str, *, in_place: bool) -> ObjectInfo:
        try:
            if in_place:
                return self.store.stat(key)  # a local stat: cheaper inline than a thread
            return await asyncio.to_thread(self.store.stat, key)
        except (ObjectNotFoundError, InvalidKeyError):
            raise NotFound("No such asset file.", code="not_found") from None
        except ObjectStoreUnavailable as exc:
            raise _unavailable(exc) from exc

    async def _other(self, scope: Scope, send: Send, raw: bytes) -> None:
        if raw.startswith(LISTING_PATH):
            try:
                await send_listing(scope, send, raw, self.tokens, self.store)
            except ObjectStoreUnavailable as exc:
                raise _unavailable(exc) from exc
            return
        await serve_service_route(scope, send, raw, health=self.health, metrics=self.stats.render)

    def health(self) -> dict[str, object]:
        # Not counting the health check itself.
        return {"status": "ok", "service": "origin", "in_flight": self.stats.in_flight - 1}


def _plain_get(scope: Scope, conditions: Conditions) -> bool:
    """A whole-body GET with no validator to check first (what an edge's fill sends)."""
    return (
        scope["method"] == "GET"
        and conditions.range is None
        and conditions.if_none_match is None
        and conditions.if_range is None
    )


def _unavailable(exc: ObjectStoreUnavailable) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The origin cannot reach its object store; assets are unavailable until it is back. "
        f"({exc})",
        code="storage_unavailable",
    )


def create_origin_app(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> OriginApp:
    """The origin's ASGI app over the configured object store (`transport`: for tests)."""
    return OriginApp(settings, transport=transport)
