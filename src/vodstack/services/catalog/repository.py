"""Reads and writes of the catalog tables. Every function works inside the caller's session.

The listing is the hot path, so it never loads ORM objects: one COUNT, one narrow SELECT of the
summary columns, and one query for the genres of the whole page (no query per title), all from
statements built once.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Executable, bindparam, func, select, text
from sqlalchemy.orm import Session

from vodstack.contracts.catalog import Availability, TitleKind, TitleSort
from vodstack.core.db import nocase
from vodstack.services.catalog.genres import genre_slug
from vodstack.services.catalog.models import LISTED_SQL, GenreRow, TitleGenreRow, TitleRow


@dataclass(frozen=True)
class TitleFilter:
    max_maturity_rank: int
    genre_slug: str | None = None
    kind: TitleKind | None = None
    published_only: bool = True  # viewers never see a title before its first publish


@dataclass(frozen=True)
class SummaryRecord:
    """The columns of a title a listing shows, with its genre names in the editor's order."""

    id: int
    name: str
    kind: TitleKind
    year: int
    maturity_rank: int
    synopsis: str
    duration_s: int
    availability: Availability
    genres: list[str]


_SUMMARY_COLUMNS = (
    TitleRow.id,
    TitleRow.name,
    TitleRow.kind,
    TitleRow.year,
    TitleRow.maturity_rank,
    TitleRow.synopsis,
    TitleRow.duration_s,
    TitleRow.availability,
)

# "new" is id order: ids only grow (AUTOINCREMENT), and the primary key is already indexed.
_ORDER = {
    TitleSort.NEW: (TitleRow.id.desc(),),
    TitleSort.TITLE: (nocase(TitleRow.name), TitleRow.id),
    TitleSort.YEAR: (TitleRow.year.desc(), TitleRow.id.desc()),
}


@dataclass(frozen=True)
class _Listing:
    count: Executable
    page: Executable


_PUBLISHED = TitleRow.availability == Availability.AVAILABLE
# Episodes are reached through their series, never listed or searched on their own. Literal SQL
# (not a bound parameter) so SQLite uses the partial index `ix_titles_listed_rank_id`.
_LISTED: ColumnElement[bool] = text(LISTED_SQL)  # type: ignore[assignment]


@functools.cache
def _listing(sort: TitleSort, by_kind: bool, by_genre: bool, published: bool) -> _Listing:
    """The listing's statements, built once per shape with bound parameters.

    Building SQLAlchemy statements costs more than running them on a small SQLite table, so
    the hot path reuses these (a dozen shapes at most) and only binds values.
    """
    conditions: list[ColumnElement[bool]] = [TitleRow.maturity_rank <= bindparam("rank"), _LISTED]
    if published:
        conditions.append(_PUBLISHED)
    if by_kind:
        conditions.append(TitleRow.kind == bindparam("kind", type_=TitleRow.kind.type))
    if by_genre:
        in_genre = (
            select(TitleGenreRow.title_id)
            .join(GenreRow, GenreRow.id == TitleGenreRow.genre_id)
            .where(GenreRow.slug == bindparam("genre"))
        )
        conditions.append(TitleRow.id.in_(in_genre))
    return _Listing(
        count=select(func.count()).select_from(TitleRow).where(*conditions),
        page=select(*_SUMMARY_COLUMNS)
        .where(*conditions)
        .order_by(*_ORDER[sort])
        .limit(bindparam("limit"))
        .offset(bindparam("offset")),
    )


_GENRE_NAMES = (
    select(TitleGenreRow.title_id, GenreRow.name)
    .join(GenreRow, GenreRow.id == TitleGenreRow.genre_id)
    .where(TitleGenreRow.title_id.in_(bindparam("ids", expanding=True)))
    .order_by(TitleGenreRow.title_id, TitleGenreRow.position)
)


def _summary(row: Sequence[Any], genres: list[str]) -> SummaryRecord:
    return SummaryRecord(
        id=row[0],
        name=row[1],
        kind=row[2],
        year=row[3],
        maturity_rank=row[4],
        synopsis=row[5],
        duration_s=row[6],
        availability=row[7],
        genres=genres,
    )


def genre_names(session: Session, title_ids: Sequence[int]) -> dict[int, list[str]]:
    """Genre names of many titles in one query, each list in the editor's order."""
    if not title_ids:
        return {}
    names: dict[int, list[str]] = defaultdict(list)
    for title_id, name in session.connection().execute(_GENRE_NAMES, {"ids": list(title_ids)}):
        names[title_id].append(name)
    return names


def page(
    session: Session, where: TitleFilter, sort: TitleSort, limit: int, offset: int
) -> tuple[list[SummaryRecord], int]:
    """One page of summaries and the total number of titles matching `where`."""
    # Core execution on the session's connection: these rows are never ORM objects, so the
    # ORM layer would only add overhead.
    statements = _listing(
        sort, where.kind is not None, where.genre_slug is not None, where.published_only
    )
    params = {
        "rank": where.max_maturity_rank,
        "kind": where.kind,
        "genre": where.genre_slug,
        "limit": limit,
        "offset": offset,
    }
    connection = session.connection()
    total = int(connection.execute(statements.count, params).scalar_one())
    rows = connection.execute(statements.page, params).all() if total > offset else []
    genres = genre_names(session, [row[0] for row in rows])
    return [_summary(row, genres.get(row[0], [])) for row in rows], total


def summaries(
    session: Session, title_ids: Sequence[int], *, published_only: bool = False
) -> list[SummaryRecord]:
    """Summaries of `title_ids`, in that order, skipping ids that no longer exist (and, with
    `published_only`, titles never published)."""
    if not title_ids:
        return []
    statement = select(*_SUMMARY_COLUMNS).where(TitleRow.id.in_(title_ids))
    if published_only:
        statement = statement.where(_PUBLISHED)
    rows = session.execute(statement).all()
    by_id = {row[0]: row for row in rows}
    genres = genre_names(session, list(by_id))
    return [_summary(by_id[i], genres.get(i, [])) for i in title_ids if i in by_id]


def get(session: Session, title_id: int) -> TitleRow | None:
    return session.get(TitleRow, title_id)


def ping(session: Session) -> bool:
    return session.execute(select(1)).scalar_one() == 1


def count(session: Session) -> int:
    """Titles that are listed (and searched): every one but episodes."""
    statement = select(func.count()).select_from(TitleRow).where(_LISTED)
    return int(session.execute(statement).scalar_one())


def unpublished_count(session: Session) -> int:
    """Titles never published (few: the ones being encoded or failed)."""
    statement = select(func.count()).select_from(TitleRow).where(~_PUBLISHED, _LISTED)
    return int(session.execute(statement).scalar_one())


def all_titles(session: Session) -> Iterator[TitleRow]:
    yield from session.scalars(select(TitleRow).where(_LISTED).order_by(TitleRow.id))


def genre_counts(
    session: Session, max_maturity_rank: int, *, published_only: bool = True
) -> list[tuple[str, str, int]]:
    """(slug, name, visible titles) of every genre with at least one title visible at the level."""
    visible = [TitleRow.maturity_rank <= max_maturity_rank]
    if published_only:
        visible.append(_PUBLISHED)
    rows = session.execute(
        select(GenreRow.slug, GenreRow.name, func.count(TitleRow.id))
        .join(TitleGenreRow, TitleGenreRow.genre_id == GenreRow.id)
        .join(TitleRow, TitleRow.id == TitleGenreRow.title_id)
        .where(*visible)
        .group_by(GenreRow.id)
        .order_by(nocase(GenreRow.name))
    )
    return [(slug, name, int(n)) for slug, name, n in rows]


def find_or_create_genres(session: Session, names: Sequence[str]) -> list[GenreRow]:
    """The genres for `names` (deduplicated by slug, order kept); unknown ones are created.

    An existing genre keeps its first spelling: "sci-fi" later still shows as "Sci-Fi".
    """
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(genre_slug(name), name)
    existing = {
        row.slug: row
        for row in session.scalars(select(GenreRow).where(GenreRow.slug.in_(list(wanted))))
    }
    genres = []
    for slug, name in wanted.items():
        row = existing.get(slug)
        if row is None:
            row = GenreRow(slug=slug, name=name)
            session.add(row)
        genres.append(row)
    return genres


def set_genres(row: TitleRow, genres: Sequence[GenreRow]) -> None:
    """Make `genres` the title's genres, in that order."""
    # Existing links are reused rather than replaced: deleting and re-inserting the same
    # (title_id, genre_id) key in one flush would trip the primary key.
    current = {link.genre.slug: link for link in row.genre_links}
    links = []
    for position, genre in enumerate(genres):
        link = current.get(genre.slug) or TitleGenreRow(genre=genre)
        link.position = position
        links.append(link)
    row.genre_links = links
