"""What the rows are cut from besides the model: the catalog (titles, their maturity and
genres, newest first) and popularity (trending with decay, each region's last 24 hours).

Both are refreshed in the background (`Periodic`) and swapped whole, so a home page reads one
consistent snapshot with no call on its path. A failed refresh keeps the previous snapshot.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.telemetry import TelemetryClient
from vodstack.contracts.catalog import Availability, TitleSort, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.contracts.telemetry import Plays

_PAGE = 100
TODAY_H = 24  # "Top 10 in your region today": the last 24 hours, rolling
TRENDING_WINDOW_H = 7 * 24  # plays older than a week no longer count for trending


@dataclass(frozen=True)
class CatalogSnapshot:
    titles: dict[int, TitleSummary] = field(default_factory=dict)
    newest: list[int] = field(default_factory=list)  # published titles, newest first
    genres: list[str] = field(default_factory=list)  # every genre name, by how many titles
    # name -> the catalog's slug: a genre row keeps the key the static page gives it.
    slugs: dict[str, str] = field(default_factory=dict)

    @property
    def loaded(self) -> bool:
        return bool(self.titles)


async def load_catalog(catalog: CatalogClient) -> CatalogSnapshot:
    """Every published title (at the highest maturity: rows are filtered per viewer later)."""
    titles: list[TitleSummary] = []
    offset = 0
    while True:
        page = await catalog.titles(Maturity.ADULT, sort=TitleSort.NEW, limit=_PAGE, offset=offset)
        titles += page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    published = [t for t in titles if t.availability is Availability.AVAILABLE]
    counts: dict[str, int] = defaultdict(int)
    for title in published:
        for genre in title.genres:
            counts[genre] += 1
    genres = sorted(counts, key=lambda g: (-counts[g], g))
    slugs = {g.name: g.slug for g in await catalog.genres(Maturity.ADULT)}
    return CatalogSnapshot({t.id: t for t in published}, [t.id for t in published], genres, slugs)


@dataclass(frozen=True)
class PopularitySnapshot:
    trending: list[int] = field(default_factory=list)  # decayed plays, all regions, best first
    today: dict[str, list[int]] = field(default_factory=dict)  # region -> last 24 h, best first


def popularity(plays: list[Plays], now_hour: int, half_life_h: float) -> PopularitySnapshot:
    """Trending: each play weighs 2^(-age / half_life), so a title hot this afternoon overtakes
    last week's hit within a day. Today: plain counts of the last 24 hours per region."""
    trending: dict[int, float] = defaultdict(float)
    today: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for p in plays:
        age = max(0, now_hour - p.hour)
        trending[p.title_id] += p.plays * math.pow(2.0, -age / half_life_h)
        if age < TODAY_H:
            today[p.region][p.title_id] += p.plays
    return PopularitySnapshot(
        _best(trending), {region: _best(counts) for region, counts in today.items()}
    )


def _best(scores: dict[int, float] | dict[int, int]) -> list[int]:
    return sorted(scores, key=lambda t: (-scores[t], t))


async def load_popularity(telemetry: TelemetryClient, half_life_h: float) -> PopularitySnapshot:
    now_hour = int(time.time()) // 3600
    plays = await telemetry.plays(since_hour=now_hour - TRENDING_WINDOW_H)
    return popularity(plays, now_hour, half_life_h)
