"""Where an edge fills a miss from: same-region peers that already hold the object, then origin.

A peer is asked with `x-vodstack-fill: peer`, which it answers from its committed cache or
with 404, never by filling itself; so peers cannot chain or loop, and a cold object costs one
round trip per peer at most. Peers are tried in rendezvous order on the title (the order
steering uses, so the peer most likely to hold a title is asked first). A peer that fails is
skipped for `peer_backoff_s`.

Requests go to the transport directly, not through `httpx.AsyncClient`: a fill needs none of
the client's layers (cookies, auth, redirects, default headers), and on a cold miss they sat
between the viewer and the origin (~0.3 ms of Python before the request left).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

import httpx

from vodstack.cdn.errors import BadGateway
from vodstack.cdn.file_response import FILL_MODE_HEADER, PEER_FILL
from vodstack.core.errors import NotFound, ServiceUnavailable
from vodstack.delivery.assets import AssetPath
from vodstack.delivery.rendezvous import rendezvous_order
from vodstack.delivery.tokens import TokenSigner

UPSTREAM_TOKEN_TTL_S = 300.0
# An upstream token is signed once per prefix and reused for this part of its lifetime.
TOKEN_REUSE_S = UPSTREAM_TOKEN_TTL_S / 2


class Source(StrEnum):
    CACHE = "cache"
    PEER = "peer"
    ORIGIN = "origin"


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    """A 200 from a peer or the origin, body not yet read."""

    source: Source
    url: str
    size: int
    mtime: int
    response: httpx.Response

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()


class Upstream:
    """Opens the object at the first upstream that has it."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        peers: Sequence[str],
        origin: str,
        signer: TokenSigner,
        session: str,
        peer_timeout_s: float,
        origin_timeout_s: float,
        peer_backoff_s: float = 5.0,
        on_request: Callable[[Source], None] = lambda source: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._tokens: dict[bytes, tuple[float, str]] = {}
        self._peers = list(peers)
        self._origin = origin
        self._signer = signer
        self._session = session
        self._peer_timeout = httpx.Timeout(peer_timeout_s)
        self._origin_timeout = httpx.Timeout(origin_timeout_s)
        self._peer_backoff_s = peer_backoff_s
        self._peer_down_until: dict[str, float] = {}
        self._on_request = on_request
        self._clock = clock

    def _peer_order(self, asset: AssetPath) -> list[str]:
        now = self._clock()
        alive = [p for p in self._peers if self._peer_down_until.get(p, 0.0) <= now]
        return rendezvous_order(asset.title, alive, name=lambda url: url)

    @asynccontextmanager
    async def fetch(self, asset: AssetPath) -> AsyncIterator[UpstreamReply]:
        """Yield the first 200; NotFound if the origin has no such object."""
        path = f"{asset.raw.decode()}?t={self._token(asset.prefix)}"
        reply = None
        for peer in self._peer_order(asset):
            try:
                reply = await self._open(Source.PEER, peer + path)
                break
            except NotFound:
                continue
            except (ServiceUnavailable, BadGateway):
                self._peer_down_until[peer] = self._clock() + self._peer_backoff_s
        if reply is None:
            reply = await self._open(Source.ORIGIN, self._origin + path)
        try:
            yield reply
        finally:
            await reply.response.aclose()

    def _token(self, prefix: bytes) -> str:
        """The edge's own token for `prefix`, re-signed when half its lifetime is gone."""
        now = self._clock()
        kept = self._tokens.get(prefix)
        if kept is not None and kept[0] > now:
            return kept[1]
        token = self._signer.sign(prefix.decode(), self._session, UPSTREAM_TOKEN_TTL_S)
        if len(self._tokens) > 4096:
            self._tokens.clear()  # bounded; titles being filled re-sign on their next miss
        self._tokens[prefix] = (now + TOKEN_REUSE_S, token)
        return token

    async def _open(self, source: Source, url: str) -> UpstreamReply:
        is_peer = source is Source.PEER
        headers = {FILL_MODE_HEADER.decode(): PEER_FILL.decode()} if is_peer else {}
        timeout = self._peer_timeout if is_peer else self._origin_timeout
        self._on_request(source)
        request = httpx.Request(
            "GET", url, headers=headers, extensions={"timeout": timeout.as_dict()}
        )
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"{source} unreachable: {exc!r}", code="upstream_down"
            ) from exc
        try:
            return _reply(source, url, response)
        except BaseException:
            await response.aclose()
            raise


def _reply(source: Source, url: str, response: httpx.Response) -> UpstreamReply:
    if response.status_code == 404:
        raise NotFound("No such asset file.", code="not_found")
    if response.status_code != 200:
        raise BadGateway(f"{source} answered {response.status_code} for {url.split('?')[0]}")
    length = response.headers.get("content-length")
    if length is None or not length.isdigit():
        raise BadGateway(f"{source} sent no Content-Length for {url.split('?')[0]}")
    return UpstreamReply(
        source=source,
        url=url,
        size=int(length),
        mtime=_mtime(response.headers.get("last-modified")),
        response=response,
    )


def _mtime(header: str | None) -> int:
    if header:
        try:
            return int(parsedate_to_datetime(header).timestamp())
        except (TypeError, ValueError):
            pass
    return int(time.time())
