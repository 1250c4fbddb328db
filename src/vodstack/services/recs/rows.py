"""A profile's home rows, cut at request time from the precomputed store and the snapshots.

Which rows and in which order is the profile's: what it did last leads ("Because you watched
X" after a finished title, "Continue watching" after an unfinished one), then its top picks,
its region's top 10, more "Because you watched" rows, and genre rows ordered by how high the
profile's recommendations rank titles of each genre. A profile the trainer has not seen yet
(cold start) gets its region's top 10, trending, new releases and genres by regional
popularity. Every row is filtered to the viewer's maturity level here, at the last step, so a
changed profile level applies at once and no row can slip a title past it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.contracts.recs import HomeRows, Row, RowItem, RowKind
from vodstack.services.recs.snapshots import CatalogSnapshot, PopularitySnapshot

TOP10 = 10
BECAUSE_ROWS = 3
# A title counts as a "Because you watched" source once this share of it was watched.
SOURCE_SHARE = 0.5


@dataclass(frozen=True)
class ProfileView:
    """What is known of one profile at request time."""

    profile_id: int
    recommended: list[int] | None  # None: the trainer has not seen this profile
    recent: list[tuple[int, float]]  # (title, completion), most recent first (live)
    started: list[Position]  # continue watching (history service), most recent first
    neighbours: Callable[[int], list[int]]


def home_rows(
    view: ProfileView,
    maturity: Maturity,
    region: str | None,
    limit: int,
    catalog: CatalogSnapshot,
    popular: PopularitySnapshot,
    trained_at: datetime | None,
) -> HomeRows:
    def visible(ids: Iterable[int], *, skip: set[int] | None = None) -> list[int]:
        out: list[int] = []
        taken: set[int] = set()  # a set: the ranking runs over the whole catalog
        for title_id in ids:
            title = catalog.titles.get(title_id)
            if title is None or not maturity.allows(title.maturity) or title_id in taken:
                continue
            if skip and title_id in skip:
                continue
            out.append(title_id)
            taken.add(title_id)
        return out

    def row(kind: RowKind, key: str, label: str, ids: list[int], size: int = limit) -> Row:
        items = [RowItem(title=catalog.titles[t]) for t in ids[:size]]
        return Row(kind=kind, key=key, label=label, items=items)

    seen = {title for title, _ in view.recent}
    regional = popular.today.get(region or "", [])
    top10 = row(RowKind.TOP10, "top10", _top10_label(region), visible(regional), TOP10)
    trending = row(RowKind.TRENDING, "trending", "Trending now", visible(popular.trending))
    new = row(RowKind.NEW, "new", "New releases", visible(catalog.newest))
    cold = view.recommended is None and not view.recent and not view.started
    # Titles ranked for this profile: the model's, then what is popular, then the rest.
    ranking = visible([*(view.recommended or []), *regional, *popular.trending, *catalog.newest])
    genres = _genre_rows(ranking, catalog, maturity, limit, row, skip=set() if cold else seen)
    if cold:
        return _page(view.profile_id, False, trained_at, [top10, trending, new, *genres])

    started = _continue_row(view.started, catalog, maturity, limit)
    because = [
        row(RowKind.BECAUSE, f"because-{source}", f"Because you watched {name}", ids)
        for source, name, ids in _because(view, catalog, visible, seen)
    ]
    picks = row(
        RowKind.TOP_PICKS,
        "top-picks",
        "Top picks for you",
        visible(view.recommended or [], skip=seen),
    )
    first_because = because[:1]
    latest = view.recent[0][0] if view.recent else None
    unfinished_last = started is not None and any(
        item.title.id == latest for item in started.items[:1]
    )
    lead = [started, *first_because] if unfinished_last else [*first_because, started]
    rows: list[Row | None] = [
        *lead,
        picks,
        top10,
        *because[1:2],
        *genres[:2],
        trending,
        *because[2:],
        new,
        *genres[2:],
    ]
    return _page(view.profile_id, True, trained_at, rows)


def _page(
    profile_id: int, personal: bool, trained_at: datetime | None, rows: Sequence[Row | None]
) -> HomeRows:
    kept = [r for r in rows if r is not None and r.items]
    return HomeRows(profile_id=profile_id, personalized=personal, trained_at=trained_at, rows=kept)


def _top10_label(region: str | None) -> str:
    return f"Top 10 in {region.upper()} today" if region else "Top 10 today"


def _because(
    view: ProfileView,
    catalog: CatalogSnapshot,
    visible: Callable[..., list[int]],
    seen: set[int],
) -> list[tuple[int, str, list[int]]]:
    """Up to BECAUSE_ROWS (source, its name, its neighbours), latest sources first."""
    out: list[tuple[int, str, list[int]]] = []
    for title_id, share in view.recent:
        if len(out) == BECAUSE_ROWS:
            break
        source = catalog.titles.get(title_id)
        if share < SOURCE_SHARE or source is None:
            continue
        ids = visible(view.neighbours(title_id), skip=seen)
        if ids:
            out.append((title_id, source.name, ids))
    return out


def _continue_row(
    positions: list[Position], catalog: CatalogSnapshot, maturity: Maturity, limit: int
) -> Row | None:
    items = []
    for position in positions:
        title = catalog.titles.get(position.title_id)
        if title is None or not maturity.allows(title.maturity):
            continue  # an episode, gone, or above this profile's level
        items.append(RowItem(title=title, progress=position.progress))
    if not items:
        return None
    return Row(
        kind=RowKind.CONTINUE, key="continue", label="Continue watching", items=items[:limit]
    )


def _genre_rows(
    ranking: list[int],
    catalog: CatalogSnapshot,
    maturity: Maturity,
    limit: int,
    row: Callable[..., Row],
    skip: set[int],
) -> list[Row]:
    """One row per genre, titles in the profile's ranking order; genres ordered by how much
    of the ranking's weight (1/log2(rank + 2), as NDCG discounts) falls in each."""
    weight: dict[str, float] = {}
    members: dict[str, list[int]] = {}
    for rank, title_id in enumerate(ranking):
        for genre in catalog.titles[title_id].genres:
            weight[genre] = weight.get(genre, 0.0) + 1.0 / math.log2(rank + 2)
            if title_id not in skip:
                members.setdefault(genre, []).append(title_id)
    order = sorted(weight, key=lambda g: (-weight[g], g))
    return [row(RowKind.GENRE, f"genre-{_slug(g)}", g, members[g]) for g in order if members.get(g)]


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
