"""How catalog rows look to the outside: wire models for the API, documents for search."""

from __future__ import annotations

from collections.abc import Sequence

from vodstack.contracts.catalog import EpisodeOf, Season, Title, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.services.catalog.artwork import artwork_path
from vodstack.services.catalog.episodes import EpisodeRecord
from vodstack.services.catalog.models import TitleRow
from vodstack.services.catalog.repository import SummaryRecord
from vodstack.services.catalog.search import SearchDocument

_BY_RANK = {level.rank: level for level in Maturity}


def maturity_of_rank(rank: int) -> Maturity:
    return _BY_RANK[rank]


def summary_view(record: SummaryRecord) -> TitleSummary:
    return TitleSummary(
        id=record.id,
        name=record.name,
        kind=record.kind,
        year=record.year,
        maturity=maturity_of_rank(record.maturity_rank),
        genres=record.genres,
        synopsis=record.synopsis,
        duration_s=record.duration_s,
        availability=record.availability,
        artwork_url=artwork_path(record.id),
    )


def _seasons(row: TitleRow, episodes: Sequence[EpisodeRecord]) -> list[Season]:
    by_slot = {(e.season, e.number): e for e in episodes}
    seasons = [Season.model_validate(season) for season in row.seasons]
    for season in seasons:
        for episode in season.episodes:
            record = by_slot.get((season.number, episode.number))
            if record is not None:
                episode.id = record.id
                episode.availability = record.availability
                episode.artwork_url = artwork_path(record.id)
    return seasons


def title_view(
    row: TitleRow, episodes: Sequence[EpisodeRecord] = (), episode_of: EpisodeOf | None = None
) -> Title:
    """The wire form of a title: a series' episodes carry their ids, an episode its place."""
    artwork_id = episode_of.series_id if episode_of else row.id
    return Title(
        id=row.id,
        name=row.name,
        kind=row.kind,
        year=row.year,
        maturity=maturity_of_rank(row.maturity_rank),
        genres=[link.genre.name for link in row.genre_links],
        synopsis=row.synopsis,
        duration_s=row.duration_s,
        availability=row.availability,
        artwork_url=artwork_path(artwork_id),
        cast=list(row.cast_names),
        seasons=_seasons(row, episodes),
        asset_version=row.asset_version,
        episode_of=episode_of,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def search_document(row: TitleRow) -> SearchDocument:
    return SearchDocument(
        title_id=row.id,
        name=row.name,
        cast=list(row.cast_names),
        genres=[link.genre.name for link in row.genre_links],
        synopsis=row.synopsis,
        maturity_rank=row.maturity_rank,
    )
