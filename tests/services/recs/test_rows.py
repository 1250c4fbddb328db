"""Home rows for scripted histories: "Because you watched X" first, maturity in every row,
cold start from regional popularity, continue watching leading after an unfinished title."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from vodstack.contracts.catalog import Availability, TitleKind, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.contracts.recs import HomeRows, RowKind
from vodstack.services.recs.interactions import Interactions
from vodstack.services.recs.rows import ProfileView, home_rows
from vodstack.services.recs.snapshots import CatalogSnapshot, PopularitySnapshot
from vodstack.services.recs.trainer import Trained, train

GENRES = ("Drama", "Comedy", "Documentary", "Animation")
LEVELS = (Maturity.KIDS, Maturity.TEEN, Maturity.ADULT)


def summary(title_id: int) -> TitleSummary:
    return TitleSummary(
        id=title_id,
        name=f"Title {title_id}",
        kind=TitleKind.MOVIE,
        year=2000 + title_id % 20,
        maturity=LEVELS[title_id % 3],
        genres=[GENRES[title_id % 4], GENRES[(title_id // 4) % 4]],
        synopsis="",
        duration_s=3600,
        availability=Availability.AVAILABLE,
        artwork_url=f"/art/{title_id}.svg",
    )


CATALOG = CatalogSnapshot(
    {i: summary(i) for i in range(1, 61)},
    list(range(60, 0, -1)),
    list(GENRES),
)
POPULAR = PopularitySnapshot(
    trending=[7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
    today={"eu": [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41], "us": [50, 51, 52]},
)


def history() -> Interactions:
    """Viewers who watched title 3 also watched 21, 24 and 27 (co-watched cluster); the rest
    watch random pairs. Profile 1 finished title 3 last."""
    rng = np.random.default_rng(3)
    users, items, times = [], [], []
    for user in range(100, 160):
        picks = [3, 21, 24, 27] if user < 130 else rng.choice(np.arange(40, 61), 4, replace=False)
        for step, item in enumerate(picks):
            users.append(user)
            items.append(int(item))
            times.append(1000.0 * step + user)
    for step, item in enumerate([45, 3]):
        users.append(1)
        items.append(item)
        times.append(10_000.0 + step)
    return Interactions(
        np.asarray(users, dtype=np.int64),
        np.asarray(items, dtype=np.int64),
        np.asarray(times),
        np.ones(len(users), dtype=np.float32),
    )


def rows_for(
    trained: Trained,
    profile: int,
    maturity: Maturity,
    recent: list[tuple[int, float]],
    started: list[Position] | None = None,
    region: str | None = "eu",
) -> HomeRows:
    view = ProfileView(
        profile,
        trained.recommended.get(profile),
        recent,
        started or [],
        lambda t: trained.neighbours.get(t, []),
    )
    return home_rows(view, maturity, region, 20, CATALOG, POPULAR, None)


def position(title_id: int, at: float) -> Position:
    return Position(
        profile_id=1,
        title_id=title_id,
        position_s=600,
        duration_s=3600,
        watched=False,
        updated_at=datetime.fromtimestamp(at, UTC),
    )


def test_watching_x_puts_because_you_watched_x_first() -> None:
    trained = train(history())
    page = rows_for(trained, 1, Maturity.ADULT, [(3, 1.0), (45, 1.0)], [position(45, 1)])
    first = page.rows[0]
    assert page.personalized
    assert (first.kind, first.key, first.label) == (
        RowKind.BECAUSE,
        "because-3",
        "Because you watched Title 3",
    )
    # X's co-watched titles lead it; nothing the profile already watched is offered again.
    assert {item.title.id for item in first.items[:3]} == {21, 24, 27}
    assert not {3, 45} & {item.title.id for item in first.items}
    kinds = [row.kind for row in page.rows]
    assert kinds[1] is RowKind.CONTINUE
    assert RowKind.TOP_PICKS in kinds and RowKind.GENRE in kinds


def test_continue_watching_leads_after_an_unfinished_title() -> None:
    trained = train(history())
    page = rows_for(trained, 1, Maturity.ADULT, [(45, 0.2), (3, 1.0)], [position(45, 1)])
    assert [row.kind for row in page.rows[:2]] == [RowKind.CONTINUE, RowKind.BECAUSE]
    assert page.rows[0].items[0].progress is not None


def test_every_row_respects_the_profile_maturity() -> None:
    trained = train(history())
    started = [position(t, t) for t in (1, 2, 3)]
    for level in LEVELS:
        for profile, recent in ((1, [(3, 1.0), (45, 1.0)]), (999, [])):
            page = rows_for(trained, profile, level, recent, started)
            assert page.rows
            for row in page.rows:
                assert row.items, row.key
                levels = {item.title.maturity for item in row.items}
                assert all(level.allows(m) for m in levels), (level, row.key, levels)
    kids = rows_for(trained, 1, Maturity.KIDS, [(3, 1.0)], started)
    # Title 3 is kids-rated (3 % 3 == 0) so its row stays; its adult/teen neighbours do not.
    assert all(item.title.maturity is Maturity.KIDS for row in kids.rows for item in row.items)


def test_a_new_profile_gets_regional_popularity() -> None:
    trained = train(history())
    eu = rows_for(trained, 999, Maturity.ADULT, [], region="eu")
    assert not eu.personalized
    assert [row.kind for row in eu.rows[:3]] == [RowKind.TOP10, RowKind.TRENDING, RowKind.NEW]
    assert [i.title.id for i in eu.rows[0].items] == POPULAR.today["eu"][:10]
    assert eu.rows[0].label == "Top 10 in EU today"
    us = rows_for(trained, 999, Maturity.ADULT, [], region="us")
    assert [i.title.id for i in us.rows[0].items] == [50, 51, 52]
    # Genre rows ranked by the region's popularity: the genre of eu's top titles leads.
    eu_genres = [row.label for row in eu.rows if row.kind is RowKind.GENRE]
    us_genres = [row.label for row in us.rows if row.kind is RowKind.GENRE]
    assert eu_genres[0] in CATALOG.titles[30].genres
    assert us_genres[0] in CATALOG.titles[50].genres
