"""`quality.json`: the VMAF report published with every asset version, as one model.

The pipeline writes it (`pipeline/media/quality.py` measures, `QualityReport.write` stores) and
the gateway's admin pages read it from the origin; both use this model, so the file's shape is
stated once. Readers ignore fields they do not know, so the writer may add some.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

QUALITY_NAME = "quality.json"


class SegmentScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    number: int
    vmaf_mean: float
    vmaf_min: float


class RenditionQuality(BaseModel):
    """VMAF of one rendition over its sampled segments."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    width: int
    height: int
    vmaf_mean: float
    vmaf_min: float
    segments: tuple[SegmentScore, ...] = ()


class QualityReport(BaseModel):
    """The content of `quality.json`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    model: str
    reference_width: int
    reference_height: int
    renditions: tuple[RenditionQuality, ...]
    # Set when VMAF could not be measured (the version was published without scores).
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def write(self, path: Path) -> Path:
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path


# What the gateway's admin API shows: the per-segment figures are left out.
SUMMARY_EXCLUDE: dict[str, Any] = {"renditions": {"__all__": {"segments"}}}
