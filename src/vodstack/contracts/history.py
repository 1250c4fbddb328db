"""Wire format of the history service: resume positions, continue watching, operator queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Position(BaseModel):
    profile_id: int
    title_id: int
    position_s: float = Field(ge=0)
    duration_s: float | None = None
    watched: bool
    updated_at: datetime

    @property
    def progress(self) -> float | None:
        """Share of the title watched (0..1), when its length is known."""
        if not self.duration_s:
            return None
        return min(1.0, self.position_s / self.duration_s)


class HistoryStatus(BaseModel):
    shards: int
    positions: int = Field(ge=0)
    lag: int = Field(ge=0)
    replays: int = Field(ge=0)
    cache_hits: int = Field(ge=0)
    cache_misses: int = Field(ge=0)


class ReshardPhase(StrEnum):
    IDLE = "idle"
    COPYING = "copying"  # dual writes on, copy running
    DONE = "done"
    FAILED = "failed"


class ReshardRequest(BaseModel):
    shards: int = Field(ge=1, le=256)


class ReshardStatus(BaseModel):
    phase: ReshardPhase
    from_shards: int
    to_shards: int
    copied: int = Field(ge=0, description="Rows copied so far")
    rows: int = Field(ge=0, description="Rows verified equal in both generations at cut-over")
    message: str


#: The most profiles one `WatchedProfiles` lists; past it the answer is `complete=False`.
MAX_WATCHED = 1_000_000


class WatchedProfiles(BaseModel):
    """Every profile with a resume position (`GET /v1/profiles/watched`, internal), as of
    `cursor` in history's changes feed (`GET /v1/profiles/changes`): a profile absent from
    `profiles` and not listed by the feed after `cursor` has played nothing (playback's
    replica, services/playback/resume_points.py)."""

    cursor: int = Field(ge=0)
    #: Profile ids, ascending.
    profiles: list[int]
    #: False: more than `limit` profiles have positions, and `profiles` is empty.
    complete: bool = True
