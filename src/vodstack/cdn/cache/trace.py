"""Request traces for the offline cache replay: `timestamp_s,object_id,size_bytes[,region]`.

One request per line, an optional header line, gzip when the name ends in `.gz`. An object
keeps one size for the whole trace; a line that breaks the format stops the reading with
its line number (`TraceError`), since a replay over a half-understood trace would report
ratios nobody can trust. Either every line names a region or none does.

Objects become dense integers (`Trace.names[i]`, `Trace.sizes[i]`) and requests are kept
per region in trace order, the shape the replay's hot loop wants: each region's caches see
only their region's requests.
"""

from __future__ import annotations

import gzip
import math
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO, cast

NO_REGION = ""
DAY_S = 86400


class TraceError(ValueError):
    """A trace that cannot be replayed; the message names the file and line."""


@dataclass
class RegionRequests:
    """One region's requests in trace order: object numbers and timestamps."""

    objects: list[int] = field(default_factory=list)
    times: array[float] = field(default_factory=lambda: array("d"))


@dataclass
class Trace:
    names: list[str]
    sizes: list[int]
    regions: dict[str, RegionRequests]  # {NO_REGION: ...} when the trace has no regions

    @property
    def has_regions(self) -> bool:
        return NO_REGION not in self.regions

    @cached_property
    def titles(self) -> list[int]:
        """Each object's title as a dense number (`title_of` its id): what admission keys on."""
        numbers: dict[str, int] = {}
        return [numbers.setdefault(title_of(name), len(numbers)) for name in self.names]

    @property
    def unique_bytes(self) -> int:
        return sum(self.sizes)

    @property
    def requests(self) -> int:
        return sum(len(region.objects) for region in self.regions.values())


def title_of(object_id: str) -> str:
    """The title an object belongs to: trace ids are `title/rendition/segment`, edge paths
    `/v/title/version/...`; any other id is its own title."""
    parts = object_id.strip("/").split("/")
    if parts[0] == "v" and len(parts) >= 4:
        return parts[1]
    return parts[0] if len(parts) >= 2 else object_id


def open_text(path: Path, mode: str = "rt") -> TextIO:
    """The file as text, through gzip when its name ends in `.gz`."""
    if path.suffix == ".gz":
        return cast(TextIO, gzip.open(path, mode, encoding="utf-8", newline=""))
    return cast(TextIO, path.open(mode[0], encoding="utf-8", newline=""))


def read_trace(path: Path) -> Trace:
    """Parse a whole trace file; raises TraceError naming the first bad line."""
    try:
        with open_text(path) as lines:
            trace = _parse(lines, path.name)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise TraceError(f"{path.name}: cannot read: {exc}") from exc
    if not trace.sizes:
        raise TraceError(f"{path.name}: no requests")
    return trace


def parse_lines(lines: Iterable[str], name: str) -> Trace:
    """A trace from lines already in memory (`name` is what errors call the source)."""
    return _parse(lines, name)


def _parse(lines: Iterable[str], name: str) -> Trace:
    ids: dict[str, int] = {}
    names: list[str] = []
    sizes: list[int] = []
    first_line: list[int] = []  # where each object's size was set, for conflict messages
    regions: dict[str, RegionRequests] = {}
    width = 0
    for number, line in enumerate(lines, 1):
        parts = line.rstrip("\r\n").split(",")
        try:
            when = float(parts[0])
            size = int(parts[2])
        except (ValueError, IndexError):
            if number == 1 and _is_header(parts):
                continue
            if len(parts) == 1 and not parts[0].strip():
                continue  # blank line
            raise TraceError(_bad_line(name, number, line)) from None
        if (
            len(parts) not in (3, 4)
            or size < 0
            or not math.isfinite(when)
            or not (object_id := parts[1].strip())
        ):
            raise TraceError(_bad_line(name, number, line))
        if width != len(parts):
            if width:
                raise TraceError(f"{name} line {number}: every line or none must name a region")
            width = len(parts)
        index = ids.get(object_id)
        if index is None:
            index = ids[object_id] = len(names)
            names.append(object_id)
            sizes.append(size)
            first_line.append(number)
        elif sizes[index] != size:
            raise TraceError(
                f"{name} line {number}: object {object_id!r} has size {size} here but "
                f"{sizes[index]} on line {first_line[index]} (an object keeps one size)"
            )
        region = parts[3].strip() if width == 4 else NO_REGION
        requests = regions.get(region)
        if requests is None:
            if width == 4 and not region:
                raise TraceError(_bad_line(name, number, line))
            requests = regions[region] = RegionRequests()
        requests.objects.append(index)
        requests.times.append(when)
    return Trace(names, sizes, regions)


def _is_header(parts: list[str]) -> bool:
    return len(parts) in (3, 4) and not any(part.strip().isdigit() for part in parts[2:3])


def _bad_line(name: str, number: int, line: str) -> str:
    shown = line.rstrip("\r\n")
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return (
        f"{name} line {number}: expected timestamp_s,object_id,size_bytes[,region] "
        f"(size a whole number >= 0), got {shown!r}"
    )


def format_request(when: float, object_id: str, size: int, region: str = NO_REGION) -> str:
    """One trace line (with its newline)."""
    stamp = f"{when:.3f}".rstrip("0").rstrip(".")
    tail = f",{region}" if region else ""
    return f"{stamp},{object_id},{size}{tail}\n"


def write_lines(path: Path, lines: Iterator[str], header: str | None = None) -> int:
    """Write trace lines (gzip for `.gz`); returns how many requests were written."""
    count = 0
    with open_text(path, "wt") as out:
        if header:
            out.write(header + "\n")
        for line in lines:
            out.write(line)
            count += 1
    return count


def day_spans(requests: RegionRequests, offset_s: int) -> dict[int, tuple[int, int]]:
    """Day -> [start, end) of its requests, days starting `offset_s` after midnight UTC.

    A line whose timestamp goes back across a day boundary stays in the day already running.
    """
    spans: dict[int, tuple[int, int]] = {}
    day, start = None, 0
    for index, when in enumerate(requests.times):
        this = int((when - offset_s) // DAY_S)
        if day is None or this > day:
            if day is not None:
                spans[day] = (start, index)
            day, start = this, index
    if day is not None:
        spans[day] = (start, len(requests.times))
    return spans
