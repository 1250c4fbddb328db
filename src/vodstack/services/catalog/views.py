"""How catalog rows look to the outside: wire models for the API, documents for search."""

from __future__ import annotations

from vodstack.contracts.catalog import Season, Title, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.services.catalog.artwork import artwork_path
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


def title_view(row: TitleRow) -> Title:
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
        artwork_url=artwork_path(row.id),
        cast=list(row.cast_names),
        seasons=[Season.model_validate(season) for season in row.seasons],
        asset_version=row.asset_version,
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
