"""Unrequested positions named live: the origin lists each title's packaged files and sizes.

Offline, the replay estimates the size of a position nobody requested from the past
(control/plan_objects.py); live, the origin knows which renditions and segments a title was
packaged with and what each weighs (`GET /listing/{title}/{version}`, cdn/listing.py), so the
live planner names only files that exist, at their real sizes. `load` fetches the listings of
the asset versions the forecast's unrequested positions belong to, before planning; `resolve`
(the `SegmentCatalogue` the planner asks) then answers from them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import httpx

from vodstack.cdn.listing import AUDIENCE, listing_path
from vodstack.control.objects import ObjectInfo, name_at
from vodstack.control.plan_objects import PlanObjects
from vodstack.core.errors import BadRequest, NotFound
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.delivery.assets import AssetPath, parse_asset_path

log = logging.getLogger(__name__)

LISTING_TIMEOUT_S = 30.0
PARALLEL = 8  # listings asked at once


class OriginSegments:
    """Names and sizes of unrequested positions, from the origin's listings."""

    def __init__(self, known: PlanObjects) -> None:
        self._known = known
        self._files: dict[tuple[str, str], dict[str, int]] = {}  # (title, version) -> sizes
        self.failed = 0  # listings the origin did not give

    @property
    def listed(self) -> int:
        return len(self._files)

    async def load(
        self,
        client: httpx.AsyncClient,
        origin_url: str,
        credentials: ServiceCredentials,
        siblings: Iterable[int],
    ) -> None:
        """Fetch the listing of each asset version the `siblings` (object numbers) are of."""
        assets = (_asset(self._known.names[key]) for key in siblings)
        wanted = sorted({(asset.title, asset.version) for asset in assets if asset is not None})
        gate = asyncio.Semaphore(PARALLEL)

        async def one(title: str, version: str) -> None:
            async with gate:
                files = await _listing(client, origin_url, credentials, title, version)
            if files is None:
                self.failed += 1
            else:
                self._files[(title, version)] = files

        await asyncio.gather(*(one(title, version) for title, version in wanted))

    def resolve(self, slot: ObjectInfo, sibling: int) -> int | None:
        if slot.position is None:
            return None
        name = name_at(self._known.names[sibling], slot.position)
        asset = _asset(name)
        if asset is None:
            return None
        size = self._files.get((asset.title, asset.version), {}).get(asset.file)
        return None if size is None else self._known.add(name, size)


def _asset(path: str) -> AssetPath | None:
    try:
        return parse_asset_path(path.encode("ascii"))
    except (BadRequest, NotFound, UnicodeEncodeError):
        return None


async def _listing(
    client: httpx.AsyncClient,
    origin_url: str,
    credentials: ServiceCredentials,
    title: str,
    version: str,
) -> dict[str, int] | None:
    headers = {SERVICE_TOKEN_HEADER: credentials.token(AUDIENCE)}
    url = f"{origin_url}{listing_path(title, version)}"
    try:
        response = await client.get(url, headers=headers, timeout=LISTING_TIMEOUT_S)
        if response.status_code == 200:
            files = response.json().get("files", {})
            return {str(name): int(size) for name, size in files.items()}
        log.warning("origin gave no listing of %s/%s: %s", title, version, response.status_code)
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.warning("origin gave no listing of %s/%s: %s", title, version, exc)
    return None
