"""The origin's list of one asset version's files and their sizes: `GET /listing/{title}/{version}`.

The fill planner also plans positions of known titles nobody has requested yet
(`cdn.fill_plan.unrequested`, control/coverage.py). Which of them exist (the packaged renditions
and how many segments each has) and how big they are, the edges' logs cannot say; the origin's
object store can. The answer, `{"files": {"720p/seg_00001.m4s": 1234567, ...}}`, names every
file under the version (relative to it, as in asset URLs) with its size in bytes.

A caller needs a service token for the audience `origin` (a listing walks the store; viewers
have no use for it). An unknown version is a 404, a store that is down a 503.
"""

from __future__ import annotations

import asyncio

from vodstack.cdn.errors import MethodNotAllowed
from vodstack.cdn.file_response import send_json
from vodstack.core.errors import NotFound
from vodstack.core.metrics import Scope, Send
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceTokens
from vodstack.delivery.assets import URL_ROOT, asset_key_prefix, parse_asset_path
from vodstack.storage import ObjectStore

PATH = b"/listing/"
AUDIENCE = "origin"


def listing_path(title: str, version: str) -> str:
    """The route of one asset version's listing on the origin."""
    return f"{PATH.decode()}{title}/{version}"


async def send_listing(
    scope: Scope, send: Send, raw: bytes, tokens: ServiceTokens, store: ObjectStore
) -> None:
    if scope["method"] != "GET":
        raise MethodNotAllowed("Use GET for /listing.")
    headers = dict(scope.get("headers", ()))
    tokens.verify(headers.get(SERVICE_TOKEN_HEADER.encode(), b"").decode("latin-1") or None)
    parts = raw[len(PATH) :].split(b"/")
    if len(parts) != 2:
        raise NotFound("A listing is /listing/{title}/{version}.", code="no_route")
    # The asset URL grammar validates the title and version (no '..', no encoding).
    asset = parse_asset_path(URL_ROOT + b"/".join(parts) + b"/listing")
    prefix = f"{asset_key_prefix(asset.title, asset.version)}/"
    files = await asyncio.to_thread(_sizes, store, prefix)
    if not files:
        raise NotFound("No such asset version.", code="not_found")
    await send_json(send, 200, {"files": files})


def _sizes(store: ObjectStore, prefix: str) -> dict[str, int]:
    return {key[len(prefix) :]: store.stat(key).size for key in store.list(prefix)}
