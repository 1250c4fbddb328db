"""Wire format of the history service: resume positions, continue watching, operator queries."""

from __future__ import annotations

from datetime import datetime

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
