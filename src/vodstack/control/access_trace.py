"""The edges' access logs as a request trace: what the live fill planner learns from.

Each edge writes `data_dir/edges/{edge}/access.log` (rotated to `access.log.1`; format in
`cdn/access_log.py`). A full answer (GET, status 200) of an asset route is one request of that
object, of the size it sent, in the edge's region. Partial answers (206), revalidations (304),
refusals and service routes (planned fills included) are not demand of a known size and are left
out. A line that does not parse is skipped: a log cut mid-line by a crash must not stop the
night's plan. The live planner gets the lines over HTTP (`control/demand_sources.py`); reading
the files here is its fallback on the edges' host.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vodstack.cdn.access_log import ASSET_ROUTE
from vodstack.cdn.cache.trace import Trace, format_request, parse_lines
from vodstack.cdn.demand_log import log_files
from vodstack.delivery.assets import URL_ROOT_TEXT
from vodstack.delivery.topology import Topology


@dataclass(frozen=True)
class Request:
    when: float
    path: str
    size: int
    region: str


def parse_access_line(line: str, region: str) -> Request | None:
    """One full asset answer of a log line, or None for anything else."""
    parts = line.split(" ")
    if len(parts) != 7 or parts[1] != "GET" or parts[2] != ASSET_ROUTE or parts[3] != "200":
        return None
    try:
        when = calendar.timegm(time.strptime(parts[0], "%Y-%m-%dT%H:%M:%SZ"))
        size = int(parts[4])
    except ValueError:
        return None
    path = parts[6].rstrip("\n")
    if size <= 0 or "," in path or not path.startswith(URL_ROOT_TEXT):
        return None
    return Request(float(when), path, size, region)


def read_edge_files(directory: Path, region: str) -> list[Request]:
    """One edge's full asset answers from its log files on this host."""
    found: list[Request] = []
    for path in log_files(directory):
        with path.open(encoding="utf-8", errors="replace") as lines:
            found.extend(r for line in lines if (r := parse_access_line(line, region)))
    return found


def read_requests(edges_dir: Path, topology: Topology) -> list[Request]:
    """Every edge's full asset answers, in time order."""
    found: list[Request] = []
    for edge in topology.edges:
        found.extend(read_edge_files(edges_dir / edge.name, edge.region))
    found.sort(key=lambda request: request.when)
    return found


def as_trace(requests: Iterable[Request]) -> Trace:
    """The requests in the replay's trace shape; an object keeps the first size it was sent at
    (an asset version's files never change, so a different size is a truncated answer)."""
    sizes: dict[str, int] = {}
    lines = []
    for request in requests:
        size = sizes.setdefault(request.path, request.size)
        lines.append(format_request(request.when, request.path, size, request.region))
    return parse_lines(lines, "edge access logs")
