"""Wire format of the telemetry service: popularity counts, QoE series, consumer status."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Split(StrEnum):
    """What a series is split by (docs/events.md, "Telemetry")."""

    NONE = "none"
    REGION = "region"
    EDGE = "edge"
    ABR = "abr"
    TITLE = "title_id"


class Plays(BaseModel):
    title_id: int
    region: str
    hour: int = Field(description="Hours since the epoch (UTC)")
    plays: int = Field(ge=0)


class SeriesPoint(BaseModel):
    bucket: int = Field(description="Bucket start, epoch seconds")
    split: str = Field(description="The split's value ('all' without a split)")
    starts_per_s: float
    startup_p50_ms: float | None
    startup_p90_ms: float | None
    rebuffer_ratio: float | None = Field(description="Stalled time over watched time")
    avg_bitrate_kbps: float | None
    errors: int


class ConsumerStatus(BaseModel):
    group: str
    lag: int = Field(ge=0)
    replays: int = Field(ge=0, description="Events delivered again and skipped (idempotency)")
