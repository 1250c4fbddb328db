"""What a headless playback measured, as JSON (`--json`) or a table for people."""

from __future__ import annotations

from pydantic import BaseModel
from rich.table import Table


class FetchedFile(BaseModel):
    """One file the player downloaded (init section or segment, video or audio)."""

    path: str  # the URL path, `/v/{title}/{version}/{rendition}/{file}`
    edge: str
    size_bytes: int
    sha256: str


class SegmentRecord(BaseModel):
    """One media segment played: what the ABR chose, what it cost, where it came from."""

    index: int
    rendition: str
    rendition_index: int
    size_bytes: int
    download_s: float
    buffer_s: float
    rebuffer_s: float
    edge: str


class PlaybackReport(BaseModel):
    title_id: int
    title_name: str
    play_session_id: str
    abr: str
    max_height: int
    ladder: list[str]
    start_position_s: float
    #: From pressing play (the start request) to the first frame, in session time.
    startup_s: float
    played_s: float
    session_s: float
    average_bitrate_kbps: float
    downloaded_bytes: int
    rebuffer_count: int
    rebuffer_s: float
    quality_switches: int
    edge_switches: int
    edges_used: list[str]
    errors: list[str]
    segments: list[SegmentRecord]
    files: list[FetchedFile]


def summary_table(report: PlaybackReport) -> Table:
    """The figures a person looks at after a run."""
    table = Table(title=f"{report.title_name} (title {report.title_id}), ABR {report.abr}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("startup time", f"{report.startup_s * 1000:.0f} ms"),
        ("played", f"{report.played_s:.1f} s in {report.session_s:.1f} s"),
        ("average bitrate", f"{report.average_bitrate_kbps:.0f} kbps"),
        ("rebuffers", f"{report.rebuffer_count} ({report.rebuffer_s:.2f} s)"),
        ("quality switches", str(report.quality_switches)),
        ("edge switches", str(report.edge_switches)),
        ("edges used", "\n".join(report.edges_used)),
        ("renditions allowed", ", ".join(report.ladder) + f" (plan max {report.max_height}p)"),
        ("downloaded", f"{report.downloaded_bytes / 1e6:.2f} MB"),
    ]
    if report.errors:
        rows.append(("errors survived", "\n".join(report.errors)))
    for name, value in rows:
        table.add_row(name, value)
    return table
