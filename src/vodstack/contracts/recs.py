"""Wire format of the recommendations service: a profile's home rows, training runs.

GET  /v1/profiles/{profile_id}/rows?maturity=&region=&limit=  -> HomeRows
     every row filtered to `maturity`; a profile the trainer has not seen gets regional
     popularity (cold start); 503 `recs_warming_up` until the catalog snapshot is loaded
POST /v1/train      -> TrainStatus once trained (a call during a run waits, then trains)
GET  /v1/train                                  -> TrainStatus
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from vodstack.contracts.catalog import TitleSummary


class RowKind(StrEnum):
    CONTINUE = "continue"  # started, unfinished (from the history service)
    BECAUSE = "because"  # "Because you watched X": X's neighbours for this profile
    TOP_PICKS = "top-picks"  # the model's best for this profile
    TOP10 = "top10"  # most played in the viewer's region over the last 24 h
    TRENDING = "trending"  # plays with exponential decay, all regions
    NEW = "new"  # newest titles
    GENRE = "genre"  # one genre, ranked for this profile


class RowItem(BaseModel):
    title: TitleSummary
    progress: float | None = Field(None, ge=0, le=1, description="Continue watching only")


class Row(BaseModel):
    kind: RowKind
    key: str = Field(description="Unique on the page: the kind, plus the genre or source title")
    label: str
    items: list[RowItem]


class HomeRows(BaseModel):
    profile_id: int
    personalized: bool = Field(description="False: cold start, regional popularity")
    trained_at: datetime | None
    rows: list[Row]


class TrainPhase(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TrainStatus(BaseModel):
    phase: TrainPhase
    model: str
    profiles: int = Field(ge=0, description="Profiles with precomputed rows")
    titles: int = Field(ge=0, description="Titles the model knows")
    interactions: int = Field(ge=0)
    seconds: float = Field(ge=0)
    trained_at: datetime | None
    message: str
