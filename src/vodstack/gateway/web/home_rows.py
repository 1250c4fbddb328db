"""The home page's rows from the recommendations service, and the fallback when it is down.

The recs service answers every row of a profile's page in one call (titles included, filtered
to the profile's maturity). When it cannot (down, warming up, too slow), the page still shows
something worth browsing: "Trending now" from the telemetry service's popularity counts, then
the genre rows the static page always had (browse_pages).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.telemetry import TelemetryClient
from vodstack.contracts.catalog import Title
from vodstack.contracts.recs import HomeRows
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import Viewer
from vodstack.gateway.upstreams import Upstreams

log = logging.getLogger(__name__)

TRENDING = 10
_WINDOW_H = 48
_HALF_LIFE_H = 12.0


async def personal_rows(clients: Upstreams, viewer: Viewer, region: str) -> HomeRows | None:
    """The profile's rows, or None (logged) when the recs service cannot answer."""
    try:
        return await clients.recs.rows(viewer.profile.id, viewer.maturity, region)
    except VodstackError as exc:
        log.warning("personalized rows unavailable, showing trending and genres: %s", exc.message)
        return None


async def trending_titles(
    telemetry: TelemetryClient, catalog: CatalogClient, viewer: Viewer
) -> list[Title]:
    """The fallback's "Trending now": plays of the last two days, decayed, at the profile's
    maturity (a title above it answers 404 and is left out). Empty when telemetry is down."""
    now_hour = int(time.time()) // 3600
    try:
        plays = await telemetry.plays(since_hour=now_hour - _WINDOW_H)
    except VodstackError as exc:
        log.warning("trending left out: %s", exc.message)
        return []
    score: dict[int, float] = defaultdict(float)
    for p in plays:
        score[p.title_id] += p.plays * math.pow(2.0, -max(0, now_hour - p.hour) / _HALF_LIFE_H)
    best = sorted(score, key=lambda t: (-score[t], t))[: TRENDING * 2]
    titles = await asyncio.gather(*(_title(catalog, viewer, t) for t in best))
    return [t for t in titles if t is not None and t.episode_of is None][:TRENDING]


async def _title(catalog: CatalogClient, viewer: Viewer, title_id: int) -> Title | None:
    try:
        return await catalog.title(title_id, viewer.maturity)
    except VodstackError:
        return None
