"""A title on its title page: how far the profile got, and what Play starts. A series: the
progress of each episode, and Play starts the one being watched, else the one after the last
finished, else the first. A movie: Play resumes it if it was started and not finished.

Resume points come from the history service, one per published episode (or the movie); when it
cannot answer the page shows no progress and Play starts at the first episode (or the top).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from vodstack.clients.history import HistoryClient
from vodstack.contracts.catalog import Availability, Episode, Title
from vodstack.contracts.history import Position
from vodstack.core.errors import VodstackError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpisodeSlot:
    season: int
    episode: Episode

    @property
    def label(self) -> str:
        return f"S{self.season}:E{self.episode.number}"

    @property
    def playable(self) -> bool:
        return self.episode.availability is Availability.AVAILABLE and self.episode.id is not None


@dataclass(frozen=True)
class SeriesProgress:
    progress: dict[int, float]  # episode id -> share watched
    up_next: EpisodeSlot | None
    resuming: bool  # up_next was started and not finished


def slots(title: Title) -> list[EpisodeSlot]:
    return [EpisodeSlot(s.number, ep) for s in title.seasons for ep in s.episodes]


async def series_progress(history: HistoryClient, profile_id: int, title: Title) -> SeriesProgress:
    playable = [slot for slot in slots(title) if slot.playable]
    positions = await asyncio.gather(*(_point(history, profile_id, s) for s in playable))
    seen = {s.episode.id: p for s, p in zip(playable, positions, strict=True) if p is not None}
    # A finished episode shows a full bar, even once started again from the top.
    progress = {
        episode_id: 1.0 if p.watched else p.progress or 0.0
        for episode_id, p in seen.items()
        if episode_id
    }
    started = [p for p in seen.values() if not p.watched]
    if started:
        latest = max(started, key=lambda p: p.updated_at)
        current = next(s for s in playable if s.episode.id == latest.title_id)
        return SeriesProgress(progress, current, resuming=True)
    return SeriesProgress(progress, _after_last_watched(playable, seen), resuming=False)


async def movie_progress(history: HistoryClient, profile_id: int, title: Title) -> SeriesProgress:
    """A movie's own resume point: `resuming` when it was started and not finished (the page
    then offers Resume, and "From the beginning" beside it)."""
    point = await _resume_point(history, profile_id, title.id)
    if point is None:
        return SeriesProgress({}, None, resuming=False)
    share = 1.0 if point.watched else point.progress or 0.0
    return SeriesProgress({title.id: share}, None, resuming=not point.watched and share > 0)


def _after_last_watched(
    playable: list[EpisodeSlot], seen: dict[int | None, Position]
) -> EpisodeSlot | None:
    watched = [i for i, s in enumerate(playable) if s.episode.id in seen]
    start = watched[-1] + 1 if watched else 0
    return playable[start] if start < len(playable) else (playable[0] if playable else None)


async def _point(history: HistoryClient, profile_id: int, slot: EpisodeSlot) -> Position | None:
    assert slot.episode.id is not None
    return await _resume_point(history, profile_id, slot.episode.id)


async def _resume_point(history: HistoryClient, profile_id: int, title_id: int) -> Position | None:
    try:
        return await history.resume_point(profile_id, title_id)
    except VodstackError as exc:
        log.warning("progress left out: %s", exc.message)
        return None
