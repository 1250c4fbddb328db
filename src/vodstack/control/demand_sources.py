"""Where the live planner learns demand from, over HTTP, so it runs on any host.

- Each edge's requests: `GET /demand/log` on the edge (its access log lines, service token for
  the audience `edge`; `cdn/demand_log.py`), parsed by `control/access_trace.py`. An edge that
  does not answer is read from `data_dir/edges/{edge}/` when that directory is on this host (the
  planner beside the edges, or an edge that is down tonight), else left out and reported.
- The popularity counts of the events pipeline: plays per title, region and hour from the
  telemetry service (`GET /v1/popularity`, `clients/telemetry.py`), when
  `cdn.fill_plan.use_popularity` is on and the service answers; without them the planner plans
  from the requests alone, as before the pipeline existed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from vodstack.cdn.demand_log import PATH as DEMAND_LOG_PATH
from vodstack.cdn.prefill import AUDIENCE
from vodstack.clients.telemetry import TelemetryClient
from vodstack.config import Settings
from vodstack.control.access_trace import Request, parse_access_line, read_edge_files
from vodstack.control.history import TitlePlays
from vodstack.core.errors import VodstackError
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.delivery.topology import EdgeNode

log = logging.getLogger(__name__)

HTTP, FILE, MISSING = "http", "file", "missing"
LOG_TIMEOUT_S = 60.0


@dataclass
class Demand:
    """What one window learns from: every edge's requests and the popularity counts."""

    requests: list[Request] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # edge -> http | file | missing
    plays: list[TitlePlays] = field(default_factory=list)
    popularity: str = "off"  # off | http | unavailable


async def edge_requests(
    client: httpx.AsyncClient, edge: EdgeNode, credentials: ServiceCredentials, settings: Settings
) -> tuple[list[Request], str]:
    """The edge's full asset answers: over HTTP, else from its local log files."""
    headers = {SERVICE_TOKEN_HEADER: credentials.token(AUDIENCE)}
    url = f"{edge.url}{DEMAND_LOG_PATH.decode()}"
    try:
        found: list[Request] = []
        async with client.stream("GET", url, headers=headers, timeout=LOG_TIMEOUT_S) as response:
            if response.status_code == 200:
                async for line in response.aiter_lines():
                    if request := parse_access_line(line, edge.region):
                        found.append(request)
                return found, HTTP
            log.warning("edge %s did not send its log: %s", edge.name, response.status_code)
    except httpx.HTTPError as exc:
        log.warning("edge %s did not send its log: %s", edge.name, exc)
    directory = settings.data_dir / "edges" / edge.name
    if directory.is_dir():
        return read_edge_files(directory, edge.region), FILE
    return [], MISSING


async def popularity_plays(settings: Settings, caller: str) -> list[TitlePlays] | None:
    """Every play count the telemetry service has, or None when it does not answer."""
    client = TelemetryClient.of(settings, caller, timeout=LOG_TIMEOUT_S)
    try:
        rows = await client.plays()
    except (VodstackError, httpx.HTTPError) as exc:
        log.warning("no popularity counts from the telemetry service: %s", exc)
        return None
    finally:
        await client.aclose()
    return [TitlePlays(str(row.title_id), row.region, row.hour, row.plays) for row in rows]


async def gather_demand(
    client: httpx.AsyncClient, edges: Sequence[EdgeNode], settings: Settings, caller: str
) -> Demand:
    credentials = ServiceCredentials.from_settings(settings, caller)
    demand = Demand()
    for edge in edges:
        requests, source = await edge_requests(client, edge, credentials, settings)
        demand.requests.extend(requests)
        demand.sources[edge.name] = source
    demand.requests.sort(key=lambda request: request.when)
    if settings.cdn.fill_plan.use_popularity:
        plays = await popularity_plays(settings, caller)
        demand.popularity = "unavailable" if plays is None else HTTP
        demand.plays = plays or []
    return demand
