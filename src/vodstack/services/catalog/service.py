"""The catalog's logic: what a viewer at a maturity level may see, and how titles change.

A title is shown to viewers only once a version of it is published (AVAILABLE); before that,
and when its upload or job failed (FAILED), only admins see it (`unpublished`). A failure never
demotes a title that is already published: it keeps playing its last good version.

Every write touches the tables and the search index in one transaction, so search can never
show a title that is gone or miss one that exists. Errors are raised from `core.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.catalog import (
    Availability,
    AvailabilityChange,
    Genre,
    SearchResults,
    Season,
    Title,
    TitleCreate,
    TitleKind,
    TitlePage,
    TitleSort,
    TitleUpdate,
)
from vodstack.contracts.common import Changes, Maturity
from vodstack.core.errors import Invalid, NotFound
from vodstack.core.read_replica import PrimaryReads, Reads
from vodstack.services.catalog import episodes, repository
from vodstack.services.catalog.artwork import etag, poster_svg
from vodstack.services.catalog.changes import TITLES, read_changes
from vodstack.services.catalog.genres import genre_slug
from vodstack.services.catalog.images import ArtworkImage, checked_image
from vodstack.services.catalog.models import ArtworkRow, TitleRow, utcnow
from vodstack.services.catalog.repository import TitleFilter
from vodstack.services.catalog.search import SearchIndex
from vodstack.services.catalog.views import (
    maturity_of_rank,
    search_document,
    summary_view,
    title_view,
)


@dataclass(frozen=True)
class TitleQuery:
    maturity: Maturity
    genre: str | None = None
    kind: TitleKind | None = None
    sort: TitleSort = TitleSort.NEW
    limit: int = 20
    offset: int = 0
    unpublished: bool = False  # admins: include titles never published


@dataclass(frozen=True)
class Poster:
    svg: str
    etag: str


def _not_found(title_id: int) -> NotFound:
    return NotFound(f"There is no title {title_id}.", code="title_not_found")


def _checked_genres(names: Sequence[str]) -> list[str]:
    for name in names:
        if not genre_slug(name):
            raise Invalid(
                f"The genre {name!r} has no letters or digits.",
                code="invalid_genre",
                details=[{"field": "genres", "message": "needs a letter or digit"}],
            )
    return list(names)


_EPISODE_OUTPUT_ONLY = {"episodes": {"__all__": {"id", "availability", "artwork_url"}}}


def _view(session: Session, row: TitleRow) -> Title:
    if row.kind is TitleKind.SERIES:
        return title_view(row, episodes.records(session, row.id))
    if row.kind is TitleKind.EPISODE:
        return title_view(row, episode_of=episodes.placement(session, row.id))
    return title_view(row)


def _checked_seasons(kind: TitleKind, seasons: Sequence[Season]) -> list[dict[str, Any]]:
    """Seasons sorted by number, with episodes sorted; a movie has none, numbers are unique."""
    if kind is TitleKind.EPISODE:
        raise Invalid(
            "Episodes are made from a series' seasons; create a series with its episodes.",
            code="episode_kind",
        )
    if kind is TitleKind.MOVIE and seasons:
        raise Invalid("A movie has no seasons; make it a series.", code="movie_with_seasons")
    if len({season.number for season in seasons}) != len(seasons):
        raise Invalid("Two seasons share a number.", code="duplicate_season")
    for season in seasons:
        if len({ep.number for ep in season.episodes}) != len(season.episodes):
            raise Invalid(
                f"Season {season.number} has two episodes with the same number.",
                code="duplicate_episode",
            )
    ordered = sorted(seasons, key=lambda season: season.number)
    return [
        Season(
            number=season.number, episodes=sorted(season.episodes, key=lambda ep: ep.number)
        ).model_dump(mode="json", exclude=_EPISODE_OUTPUT_ONLY)
        for season in ordered
    ]


class CatalogService:
    """The catalog's operations; one short session or transaction per call."""

    def __init__(
        self, sessions: sessionmaker[Session], index: SearchIndex, reads: Reads | None = None
    ) -> None:
        """`sessions` open the primary database; `reads` (default: the primary too) serve the
        viewer's reads, possibly from a read replica (core/read_replica.py)."""
        self._sessions = sessions
        self._index = index
        self._reads: Reads = reads or PrimaryReads(sessions)
        TITLES.record(sessions)

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A transaction on the primary; once it committed, reads are told to see it."""
        with self._sessions.begin() as session:
            yield session
        self._reads.wrote()

    def prepare(self) -> None:
        """Create the search index if missing and refill it if it drifted from the tables."""
        with self._sessions.begin() as session:
            self._index.create(session)
            if self._index.size(session) != repository.count(session):
                self._index.rebuild(session, map(search_document, repository.all_titles(session)))

    # -- reads ------------------------------------------------------------------------------

    def list_titles(self, query: TitleQuery) -> TitlePage:
        where = TitleFilter(
            max_maturity_rank=query.maturity.rank,
            genre_slug=genre_slug(query.genre) if query.genre else None,
            kind=query.kind,
            published_only=not query.unpublished,
        )
        with self._reads.session() as session:
            records, total = repository.page(session, where, query.sort, query.limit, query.offset)
        return TitlePage(
            items=[summary_view(r) for r in records],
            total=total,
            limit=query.limit,
            offset=query.offset,
        )

    def get_title(self, title_id: int, maturity: Maturity, *, unpublished: bool = False) -> Title:
        with self._reads.session() as session:
            row = repository.get(session, title_id)
            if (
                row is None
                or not maturity.allows(maturity_of_rank(row.maturity_rank))
                or (row.availability is not Availability.AVAILABLE and not unpublished)
            ):
                # Above the viewer's level, or not published yet, the title does not exist for
                # them: same 404.
                raise _not_found(title_id)
            return _view(session, row)

    def changes(self, after: int, limit: int) -> Changes:
        """The titles changed since `after` (catalog/changes.py); read on the primary, which
        has every committed change."""
        with self._sessions() as session:
            return read_changes(session, after, limit)

    def search(
        self, text: str, maturity: Maturity, limit: int, *, unpublished: bool = False
    ) -> SearchResults:
        with self._reads.session() as session:
            # The index knows nothing of publishing: ask for as many more as could be hidden.
            hidden = 0 if unpublished else repository.unpublished_count(session)
            ids = self._index.search(session, text, maturity.rank, limit + hidden)
            records = repository.summaries(session, ids, published_only=not unpublished)
        return SearchResults(query=text, items=[summary_view(r) for r in records[:limit]])

    def genres(self, maturity: Maturity, *, unpublished: bool = False) -> list[Genre]:
        with self._reads.session() as session:
            counts = repository.genre_counts(session, maturity.rank, published_only=not unpublished)
        return [Genre(slug=slug, name=name, count=n) for slug, name, n in counts]

    def poster(self, title_id: int, *, bare: bool = False) -> Poster:
        with self._reads.session() as session:
            row = repository.get(session, title_id)
            if row is None:
                raise _not_found(title_id)
            first = row.genre_links[0].genre if row.genre_links else None
            genre, slug = (first.name, first.slug) if first else ("", "")
            svg = poster_svg(row.name, genre, slug, with_text=not bare)
        return Poster(svg=svg, etag=etag(svg))

    def artwork(self, title_id: int) -> ArtworkImage:
        """The image an editor uploaded; 404 `no_artwork` when there is none."""
        with self._reads.session() as session:
            row = session.get(ArtworkRow, title_id)
            if row is None:
                self._existing(session, title_id)
                raise NotFound(f"Title {title_id} has no uploaded artwork.", code="no_artwork")
            return ArtworkImage(row.data, row.content_type, row.etag, 0, 0)

    def set_artwork(self, title_id: int, data: bytes) -> ArtworkImage:
        image = checked_image(data)
        with self._write() as session:
            self._existing(session, title_id)
            row = session.get(ArtworkRow, title_id) or ArtworkRow(title_id=title_id)
            row.data, row.content_type, row.etag = image.data, image.content_type, image.etag
            row.updated_at = utcnow()
            session.add(row)
        return image

    def delete_artwork(self, title_id: int) -> None:
        with self._write() as session:
            row = session.get(ArtworkRow, title_id)
            if row is not None:
                session.delete(row)

    # -- writes -----------------------------------------------------------------------------

    def create(self, body: TitleCreate) -> Title:
        seasons = _checked_seasons(body.kind, body.seasons)
        genre_names = _checked_genres(body.genres)
        with self._write() as session:
            now = utcnow()
            row = TitleRow(
                name=body.name,
                kind=body.kind,
                year=body.year,
                maturity_rank=body.maturity.rank,
                synopsis=body.synopsis,
                duration_s=body.duration_s,
                availability=Availability.PROCESSING,
                asset_version=None,
                cast_names=list(body.cast),
                seasons=seasons,
                created_at=now,
                updated_at=now,
            )
            repository.set_genres(row, repository.find_or_create_genres(session, genre_names))
            session.add(row)
            session.flush()
            episodes.sync(session, row)
            self._index.put(session, search_document(row))
            return _view(session, row)

    def update(self, title_id: int, body: TitleUpdate) -> Title:
        # A field left out, or sent as null, stays as it is.
        with self._write() as session:
            row = self._existing(session, title_id)
            if row.kind is TitleKind.EPISODE:
                raise Invalid(
                    "An episode is edited through its series' seasons.", code="episode_kind"
                )
            kind = body.kind or row.kind
            seasons = body.seasons
            if seasons is None:
                seasons = [Season.model_validate(season) for season in row.seasons]
            row.seasons = _checked_seasons(kind, seasons)
            row.kind = kind
            for field in ("name", "year", "synopsis", "duration_s"):
                value = getattr(body, field)
                if value is not None:
                    setattr(row, field, value)
            if body.maturity is not None:
                row.maturity_rank = body.maturity.rank
            if body.cast is not None:
                row.cast_names = list(body.cast)
            if body.genres is not None:
                genres = repository.find_or_create_genres(session, _checked_genres(body.genres))
                repository.set_genres(row, genres)
            row.updated_at = utcnow()
            session.flush()
            episodes.sync(session, row)
            self._index.put(session, search_document(row))
            return _view(session, row)

    def delete(self, title_id: int) -> None:
        with self._write() as session:
            row = self._existing(session, title_id)
            if row.kind is TitleKind.EPISODE:
                raise Invalid(
                    "An episode is removed from its series' seasons.", code="episode_kind"
                )
            episodes.delete_all(session, title_id)
            self._index.remove(session, title_id)
            session.delete(row)

    def set_availability(self, title_id: int, change: AvailabilityChange) -> Title:
        with self._write() as session:
            row = self._existing(session, title_id)
            if change.availability is Availability.FAILED and row.asset_version is not None:
                return _view(session, row)  # a failed re-upload keeps the published version
            row.availability = change.availability
            row.asset_version = change.asset_version
            row.updated_at = utcnow()
            series = episodes.series_of(session, title_id)
            if change.availability is Availability.AVAILABLE and series is not None:
                # A series with a playable episode is there to watch, media of its own or not.
                series.availability = Availability.AVAILABLE
            session.flush()
            return _view(session, row)

    def _existing(self, session: Session, title_id: int) -> TitleRow:
        row = repository.get(session, title_id)
        if row is None:
            raise _not_found(title_id)
        return row

    def healthy(self) -> bool:
        with self._sessions() as session:
            return repository.ping(session)
