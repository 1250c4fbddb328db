"""Episodes as titles of their own, kept in step with their series' seasons.

An editor writes a series' seasons as a document (numbers, names, synopses). Every episode in
it also gets a hidden title row (kind EPISODE) linked by an EpisodeRow: that id is what an
upload, a playback session and a resume point name. Writing the seasons again creates the
episodes that are new, renames the ones that stay (keeping their id and media) and deletes the
ones that went.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodstack.contracts.catalog import Availability, EpisodeOf, Season, TitleKind
from vodstack.services.catalog.models import EpisodeRow, TitleRow, utcnow

Slot = tuple[int, int]  # (season, episode number)


@dataclass(frozen=True)
class EpisodeRecord:
    id: int
    season: int
    number: int
    availability: Availability


def records(session: Session, series_id: int) -> list[EpisodeRecord]:
    """The series' episodes in viewing order."""
    rows = session.execute(
        select(EpisodeRow.title_id, EpisodeRow.season, EpisodeRow.number, TitleRow.availability)
        .join(TitleRow, TitleRow.id == EpisodeRow.title_id)
        .where(EpisodeRow.series_id == series_id)
        .order_by(EpisodeRow.season, EpisodeRow.number)
    )
    return [EpisodeRecord(*row) for row in rows]


def sync(session: Session, series: TitleRow) -> None:
    """Make the episode rows match `series.seasons` (none when it is not a series)."""
    wanted = {
        (season.number, episode.number): episode
        for season in (Season.model_validate(s) for s in series.seasons)
        for episode in season.episodes
    }
    links = {
        (link.season, link.number): link
        for link in session.scalars(select(EpisodeRow).where(EpisodeRow.series_id == series.id))
    }
    for slot, gone in links.items():
        if slot not in wanted:
            session.delete(session.get_one(TitleRow, gone.title_id))
    for slot, episode in wanted.items():
        link = links.get(slot)
        row = session.get_one(TitleRow, link.title_id) if link else _new_episode(session, series)
        if link is None:
            session.add(
                EpisodeRow(title_id=row.id, series_id=series.id, season=slot[0], number=slot[1])
            )
        row.name = episode.name
        row.synopsis = episode.synopsis
        row.duration_s = episode.duration_s
        # An episode is seen by whoever may see its series.
        row.year = series.year
        row.maturity_rank = series.maturity_rank


def _new_episode(session: Session, series: TitleRow) -> TitleRow:
    now = utcnow()
    row = TitleRow(
        name=series.name,
        kind=TitleKind.EPISODE,
        year=series.year,
        maturity_rank=series.maturity_rank,
        availability=Availability.PROCESSING,
        asset_version=None,
        cast_names=[],
        seasons=[],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def delete_all(session: Session, series_id: int) -> None:
    for record in records(session, series_id):
        session.delete(session.get_one(TitleRow, record.id))


def placement(session: Session, episode_id: int) -> EpisodeOf | None:
    """Where an episode sits in its series; None for any other title."""
    link = session.get(EpisodeRow, episode_id)
    if link is None:
        return None
    series = session.get_one(TitleRow, link.series_id)
    order = records(session, link.series_id)
    later = [r for r in order if (r.season, r.number) > (link.season, link.number)]
    playable = [r.id for r in later if r.availability is Availability.AVAILABLE]
    return EpisodeOf(
        series_id=series.id,
        series_name=series.name,
        season=link.season,
        number=link.number,
        next_episode_id=playable[0] if playable else None,
    )


def series_of(session: Session, episode_id: int) -> TitleRow | None:
    link = session.get(EpisodeRow, episode_id)
    return session.get(TitleRow, link.series_id) if link else None
