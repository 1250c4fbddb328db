"""The edge: `/v/{title}/{version}/...` from local disk, pull-through on a miss.

Per request, in this order: token check against the path prefix (403 before any disk or
network work), index lookup, then either the file (pathsend) or the fill in progress. Also
`/healthz` (JSON with load for steering) and `/metrics` (Prometheus text). No framework: the
warm path is a dict lookup, an HMAC and two `send` calls.
"""

from __future__ import annotations

import logging
import os

import httpx

from vodstack.cdn.access_log import (
    ASSET_ROUTE,
    FILE_NAME,
    AccessLog,
    StatusRecorder,
    route_of,
)
from vodstack.cdn.cache import DiskCache, Flight, make_admission, make_policy
from vodstack.cdn.demand_log import PATH as DEMAND_LOG_PATH
from vodstack.cdn.demand_log import send_demand_log
from vodstack.cdn.file_response import (
    FILL_MODE_HEADER,
    PEER_FILL,
    Conditions,
    FileDescriber,
    Headers,
    ServedFile,
    not_modified,
    range_headers,
    read_conditions,
    send_error,
    send_file,
    send_json,
    wanted_range,
)
from vodstack.cdn.fill import Filler
from vodstack.cdn.lifespan import serve_lifespan
from vodstack.cdn.prefill import AUDIENCE as PREFILL_AUDIENCE
from vodstack.cdn.prefill import PATH as PREFILL_PATH
from vodstack.cdn.prefill import prefill
from vodstack.cdn.revocations import RevocationFeed
from vodstack.cdn.service_routes import READ_METHODS, serve_service_route
from vodstack.cdn.stats import EdgeStats
from vodstack.cdn.token_memo import TokenMemo
from vodstack.cdn.upstream import Source, Upstream
from vodstack.cdn.upstream_transport import StreamingTransport
from vodstack.config import Settings
from vodstack.core.errors import Forbidden, NotFound, VodstackError
from vodstack.core.metrics import Receive, Scope, Send
from vodstack.core.service_auth import ServiceTokens
from vodstack.delivery.assets import URL_ROOT, AssetPath, parse_asset_path
from vodstack.delivery.tokens import TokenCheck, TokenSigner, refusal, token_from_query
from vodstack.delivery.topology import EdgeNode, Topology

log = logging.getLogger(__name__)

HIT, MISS, NO_CACHE = "HIT", "MISS", "-"
HIT_METHODS = frozenset({b"GET", b"HEAD"})
# Request headers that change a hit's answer (or ask for a peer fill): the ASGI path decides.
CONDITION_HEADERS = frozenset({b"range", b"if-none-match", b"if-range", FILL_MODE_HEADER})


class ResponseAborted(Exception):
    """The response had started when the body failed; the connection is dropped, not answered."""


class EdgeApp:
    """One edge server (an ASGI app); `startup`/`shutdown` run from the lifespan protocol."""

    def __init__(
        self,
        settings: Settings,
        node: EdgeNode,
        topology: Topology,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.node = node
        self.stats = EdgeStats(edge=node.name)
        self.signer = TokenSigner.from_settings(settings)
        self.tokens = TokenMemo(self.signer)
        self._service_tokens = ServiceTokens.from_settings(settings, PREFILL_AUDIENCE)
        self.revocations = RevocationFeed.from_settings(settings, "edge", transport)
        identity = (b"x-served-by", node.name.encode())
        ttl = settings.cdn.manifest_ttl_s
        root = settings.data_dir / "edges" / node.name
        self.access_log = (
            AccessLog(root / FILE_NAME, max_bytes=settings.cdn.access_log_max_bytes)
            if settings.cdn.access_log
            else None
        )
        self.cache = DiskCache(
            root,
            settings.cdn.capacity_bytes,
            make_policy(settings.cdn.eviction),
            FileDescriber(ttl, [identity, (b"x-cache", b"HIT")]).describe,
            make_admission(settings.cdn.admission_slices_per_day),
        )
        self._miss_describer = FileDescriber(ttl, [identity, (b"x-cache", b"MISS")])
        self._settings = settings
        self._topology = topology
        self._transport = transport
        self._upstream_transport: httpx.AsyncBaseTransport | None = None
        self._filler: Filler | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def startup(self) -> None:
        self.cache.open()
        # Fills stream through the edge's own keep-alive transport (cdn/upstream_transport.py)
        # unless one is injected (the tests' in-process router).
        self._upstream_transport = self._transport or StreamingTransport()
        upstream = Upstream(
            self._upstream_transport,
            peers=[peer.url for peer in self._topology.peers(self.node.name)],
            origin=self._topology.origin_url,
            signer=self.signer,
            session=f"edge:{self.node.name}",
            peer_timeout_s=self._settings.cdn.peer_timeout_s,
            origin_timeout_s=self._settings.upstream_timeout_s,
            on_request=self._count_upstream,
        )
        self._filler = Filler(self.cache, upstream, self._miss_describer, self.stats)
        self.revocations.start()
        if self.access_log is not None:
            self.access_log.start()
        log.info("edge %s serving %d cached objects", self.node.name, len(self.cache))

    async def shutdown(self) -> None:
        await self.revocations.stop()
        if self.access_log is not None:
            await self.access_log.close()
        if self._filler is not None:
            await self._filler.close()
        if self._upstream_transport is not None:
            await self._upstream_transport.aclose()

    async def settle(self) -> None:
        """Wait for the fills in progress (tests and benchmarks warm the cache with it)."""
        if self._filler is not None:
            await self._filler.settle()

    def _count_upstream(self, source: Source) -> None:
        self.stats.upstream_requests[source.value] += 1

    # --- requests -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await serve_lifespan(receive, send, self.startup, self.shutdown)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        access = self.access_log
        if access is None:
            await self._handle(scope, receive, send, raw)
            return
        reply = StatusRecorder(send)
        size, cache = await self._handle(scope, receive, reply, raw)
        access.write(scope["method"], route_of(raw), reply.status, size, cache, raw)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, raw: bytes
    ) -> tuple[int, str]:
        """Answer one request; (body bytes sent, cache outcome) for the access log."""
        stats = self.stats
        stats.in_flight += 1
        try:
            if raw.startswith(URL_ROOT) and scope["method"] in READ_METHODS:
                return await self._asset(scope, send, raw)
            await self._other(scope, receive, send, raw)
        except VodstackError as exc:
            if exc.status_code >= 500:
                stats.errors += 1
            await send_error(scope, send, exc)
        except ResponseAborted:
            log.info("response aborted mid-body: %s", scope["path"])
        finally:
            stats.in_flight -= 1
        return 0, NO_CACHE

    async def _asset(self, scope: Scope, send: Send, raw: bytes) -> tuple[int, str]:
        served = self.cache.index.get(raw)
        asset = None
        if served is None:
            asset = parse_asset_path(raw)
            prefix = asset.prefix
        else:
            prefix = served.prefix
        token = token_from_query(scope["query_string"])
        check = self.tokens.check(prefix, token, raw, self.revocations.revoked)
        if check is not TokenCheck.OK:
            self.stats.denied[check.value] += 1
            message, code = refusal(check)
            raise Forbidden(message, code=code)
        conditions = read_conditions(scope)
        if served is not None:
            self.cache.touch(raw)
            self.stats.hits += 1
            sent = await send_file(scope, send, served, conditions)
            self.stats.served_bytes["cache"] += sent
            return sent, HIT
        assert asset is not None
        return await self._miss(scope, send, asset, conditions), MISS

    def hit(self, method: bytes, raw: bytes, query: bytes, headers: Headers) -> ServedFile | None:
        """A plain cache hit the data plane may answer itself (whole body, valid token),
        already counted and logged; None for anything else, which the ASGI path answers
        (refusals, misses, ranges and conditional requests included, with their accounting).
        """
        if method not in HIT_METHODS:
            return None
        served = self.cache.index.get(raw)
        if served is None:
            return None
        token = token_from_query(query)
        if (
            self.tokens.check(served.prefix, token, raw, self.revocations.revoked)
            is not TokenCheck.OK
        ):
            return None
        for name, _value in headers:
            if name in CONDITION_HEADERS:
                return None
        self.cache.touch(raw)
        stats = self.stats
        stats.hits += 1
        sent = served.size if method == b"GET" else 0
        stats.served_bytes["cache"] += sent
        if self.access_log is not None:
            self.access_log.write(method.decode(), ASSET_ROUTE, 200, sent, HIT, raw)
        return served

    def sending(self, delta: int) -> None:
        """A hit body in progress on the data plane (+1) or done (-1): load for steering."""
        self.stats.in_flight += delta

    async def _miss(
        self, scope: Scope, send: Send, asset: AssetPath, conditions: Conditions
    ) -> int:
        self.stats.misses += 1
        if conditions.fill_mode == PEER_FILL:
            # A peer asking: answer from the committed cache only, so fills never chain.
            raise NotFound("Not cached on this edge.", code="not_cached")
        assert self._filler is not None, "edge not started"
        flight, started = self._filler.flight(asset)
        if not started:
            self.stats.shared_misses += 1
        fd = flight.open_reader()
        try:
            served = await flight.ready()
            return await self._stream_fill(scope, send, served, conditions, flight, fd)
        finally:
            os.close(fd)

    async def _stream_fill(
        self,
        scope: Scope,
        send: Send,
        served: ServedFile,
        conditions: Conditions,
        flight: Flight,
        fd: int,
    ) -> int:
        if not_modified(served, conditions):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": served.not_modified_headers,
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return 0
        span = wanted_range(served, conditions)
        if span is None:
            status, start, end, headers = 200, 0, served.size, served.full_headers
        else:
            status, start, end = 206, span[0], span[1] + 1
            headers = range_headers(served, span[0], span[1])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"] == "HEAD" or start == end:
            await send({"type": "http.response.body", "body": b""})
            return 0
        sent = start
        try:
            async for chunk in flight.read(fd, start, end):
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": sent < end})
        except (VodstackError, OSError) as exc:
            raise ResponseAborted(str(exc)) from exc
        finally:
            self.stats.served_bytes[flight.source] += sent - start
        return sent - start

    async def _other(self, scope: Scope, receive: Receive, send: Send, raw: bytes) -> None:
        if raw == PREFILL_PATH:
            answer = await prefill(scope, receive, self._service_tokens, self.cache, self._filler)
            await send_json(send, 200, answer)
            return
        if raw == DEMAND_LOG_PATH:
            await send_demand_log(scope, send, self._service_tokens, self.access_log)
            return
        if raw == b"/holdings/objects" and scope["method"] in READ_METHODS:
            # What the fill planner schedules against: every object this edge holds.
            await send_json(send, 200, {"edge": self.node.name, "objects": self.held_objects()})
            return
        await serve_service_route(
            scope, send, raw, health=self.health, metrics=self.metrics, holdings=self.holdings
        )

    def health(self) -> dict[str, object]:
        return {
            "status": "ok",
            "service": self.node.name,
            "region": self.node.region,
            "in_flight": self.stats.in_flight - 1,  # not counting this health check
            "objects": len(self.cache),
            "used_bytes": self.cache.used_bytes,
            "capacity_bytes": self.cache.capacity_bytes,
            "fills_in_progress": len(self._filler.flights) if self._filler else 0,
            # Traffic since start, for `vodstack status`: which edges the viewers are using.
            "requests": self.stats.hits + self.stats.misses + sum(self.stats.denied.values()),
            "served_bytes": sum(self.stats.served_bytes.values()),
            "eviction": self._settings.cdn.eviction.value,
            "evictions": self.cache.evictions,
            "titles_held": self.cache.titles_held,
            **self.stats.traffic(),
        }

    def held_objects(self) -> list[str]:
        return [key.decode() for key in self.cache.index]

    def holdings(self) -> dict[str, object]:
        """What this edge holds, per title: steering sends a title's viewers here first."""
        return {"edge": self.node.name, "titles": self.cache.holdings()}

    def metrics(self) -> bytes:
        return self.stats.render(
            evictions=self.cache.evictions,
            used=self.cache.used_bytes,
            capacity=self.cache.capacity_bytes,
            objects=len(self.cache),
            fills=len(self._filler.flights) if self._filler else 0,
            region=self.node.region,
            policy=self._settings.cdn.eviction.value,
            titles=self.cache.titles_held,
        )


def create_edge_app(
    settings: Settings, edge_name: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> EdgeApp:
    """The ASGI app of edge `edge_name` (e.g. `edge-eu-1`) of the configured topology."""
    topology = Topology.from_settings(settings)
    return EdgeApp(settings, topology.edge(edge_name), topology, transport=transport)
