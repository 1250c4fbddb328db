"""Planned fills: the fill planner asks an edge to fetch objects before anyone requests them.

`POST /prefill` with `{"objects": ["/v/{title}/{version}/{file}", ...]}` (at most
`MAX_OBJECTS`), signed with a service token for the audience `edge`. The edge fills each object
it does not hold through the same single-flight filler a viewer's miss uses, so the tiers are
the same (a same-region peer first, then the origin), a viewer asking for an object mid-fill
joins that fill, and the planner's pacing (its bandwidth cap) is the only new thing. The answer
comes when every fill has ended: `{"filled": n, "held": n, "failed": [paths], "bytes": n}`.
Planned fills do not count as demand: they are not asset requests, so the access log (which the
planner learns from) records them as a service route.
"""

from __future__ import annotations

import json

from vodstack.cdn.cache import DiskCache
from vodstack.cdn.errors import MethodNotAllowed
from vodstack.cdn.fill import Filler
from vodstack.core.errors import BadRequest, ServiceUnavailable, VodstackError
from vodstack.core.metrics import Receive, Scope
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceTokens
from vodstack.delivery.assets import parse_asset_path

PATH = b"/prefill"
AUDIENCE = "edge"
MAX_OBJECTS = 1000
MAX_BODY_BYTES = 1024 * 1024


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > limit:
            raise BadRequest(f"The body is larger than {limit} bytes.", code="body_too_large")
        if not message.get("more_body"):
            return body


def requested_paths(body: bytes) -> list[bytes]:
    """The object paths of a prefill body, each validated as an asset path (400 otherwise)."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise BadRequest('The body must be JSON: {"objects": [paths]}.') from exc
    objects = parsed.get("objects") if isinstance(parsed, dict) else None
    if not isinstance(objects, list) or not all(isinstance(p, str) for p in objects):
        raise BadRequest('The body must be {"objects": ["/v/{title}/{version}/{file}", ...]}.')
    if len(objects) > MAX_OBJECTS:
        raise BadRequest(f"At most {MAX_OBJECTS} objects per prefill, got {len(objects)}.")
    return [parse_asset_path(path.encode("ascii", "replace")).raw for path in objects]


async def prefill(
    scope: Scope,
    receive: Receive,
    tokens: ServiceTokens,
    cache: DiskCache,
    filler: Filler | None,
) -> dict[str, object]:
    if scope["method"] != "POST":
        raise MethodNotAllowed("Use POST for /prefill.")
    headers = dict(scope.get("headers", ()))
    tokens.verify(headers.get(SERVICE_TOKEN_HEADER.encode(), b"").decode("latin-1") or None)
    if filler is None:
        raise ServiceUnavailable("The edge is starting.", code="starting")
    paths = requested_paths(await read_body(receive))
    held, flights = 0, []
    for raw in dict.fromkeys(paths):
        if raw in cache.index:
            held += 1
            continue
        flight, _started = filler.flight(parse_asset_path(raw), planned=True)
        flights.append((raw, flight))
    filled, failed, filled_bytes = 0, [], 0
    for raw, flight in flights:
        try:
            committed = await flight.finished()
        except VodstackError:
            committed = False
        if committed and flight.committed is not None:
            filled += 1
            filled_bytes += flight.committed.size
        else:
            failed.append(raw.decode())
    return {"filled": filled, "held": held, "failed": failed, "bytes": filled_bytes}
