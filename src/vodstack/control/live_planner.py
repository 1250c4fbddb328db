"""The fill planner, live: once per fill window, learn, plan every region, fill the edges.

One window: read each edge's requests over HTTP (its access log, `GET /demand/log`; the log files
on this host as a fallback) and the telemetry service's plays per title and region
(`control/demand_sources.py`), teach a `FillPlanner` every day of them (the same planner the
offline replay measures), ask each edge what it holds
(`GET /holdings/objects`), plan each region under the edges' capacity, and send each edge its
orders (`POST /prefill`, a batch at a time) paced to `fill_plan.rate_bytes_per_s` per edge and
stopped at the window's end. Edges fill through their own upstream, so a planned object comes
from a same-region peer when one holds it and from the origin otherwise.

Planned objects join the edge's demand-fetch cache rather than a pinned partition: the replay
found the two equal (docs/benchmarks.md, "CDN caching") and the edge keeps one cache.

Progress goes to `run/fill-plan.json` after every batch (`PlanReport`): per edge, what was
planned, filled, failed and deferred; per region, the predicted offload of the plan.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from vodstack.cdn.cache.trace import title_of
from vodstack.cdn.prefill import AUDIENCE, PATH
from vodstack.config import Settings
from vodstack.control.access_trace import as_trace
from vodstack.control.demand_sources import gather_demand
from vodstack.control.history import learn_from_log
from vodstack.control.origin_segments import OriginSegments
from vodstack.control.plan_objects import PlanObjects
from vodstack.control.planner import FillPlanner, RegionPlan
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.delivery.topology import EdgeNode, Topology

log = logging.getLogger(__name__)

REPORT_NAME = "fill-plan.json"
TRIGGER_NAME = "fill-now"
BATCH_OBJECTS = 50
CALLER = "planner"


@dataclass(frozen=True)
class PrefillAnswer:
    filled: int
    held: int
    failed: int
    bytes: int

    @classmethod
    def parse(cls, body: object, asked: int) -> PrefillAnswer:
        if not isinstance(body, dict):
            return cls(0, 0, asked, 0)
        failed = body.get("failed", [])
        return cls(
            int(body.get("filled", 0)),
            int(body.get("held", 0)),
            len(failed) if isinstance(failed, list) else asked,
            int(body.get("bytes", 0)),
        )


@dataclass
class EdgeProgress:
    planned_objects: int = 0
    planned_bytes: int = 0
    held_before: int = 0
    to_fill: int = 0
    filled_objects: int = 0
    filled_bytes: int = 0
    failed: int = 0
    deferred: int = 0
    planned_titles: list[str] = field(default_factory=list)  # best first
    unrequested: int = 0  # planned objects nobody requested yet (cdn.fill_plan.unrequested)


@dataclass
class RegionProgress:
    predicted_offload: float = 0.0
    edges: dict[str, EdgeProgress] = field(default_factory=dict)


@dataclass
class PlanReport:
    state: str = "idle"  # idle (never ran), filling, done, nothing-learnt
    started_at: float = 0.0
    finished_at: float = 0.0
    requests_learnt: int = 0
    days_learnt: int = 0
    plays_learnt: int = 0
    # Where each edge's requests came from (http, file, missing) and the popularity counts
    # (http, unavailable, off).
    sources: dict[str, str] = field(default_factory=dict)
    popularity: str = "off"
    # Asset versions the origin listed for unrequested positions, and listings it did not give.
    listings: int = 0
    listings_failed: int = 0
    regions: dict[str, RegionProgress] = field(default_factory=dict)

    def write(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        temp = run_dir / f".{REPORT_NAME}.tmp"
        temp.write_text(json.dumps(asdict(self), indent=1))
        temp.replace(run_dir / REPORT_NAME)


def read_report(run_dir: Path) -> dict[str, object] | None:
    """The last window's report as written, or None before the first window."""
    try:
        loaded = json.loads((run_dir / REPORT_NAME).read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def request_window(run_dir: Path) -> None:
    """Ask the running planner to start a window now (`vodstack cache fill --now`)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / TRIGGER_NAME).touch()


def predicted_offload(
    plan: RegionPlan[int], expected: Mapping[int, float], sizes: list[int]
) -> float:
    """Expected bytes served by the plan's objects / all expected bytes of the region."""
    total = sum(count * sizes[key] for key, count in expected.items())
    planned = sum(count * sizes[key] for key, count in plan.expected.items())
    return planned / total if total else 0.0


class LivePlanner:
    """Runs fill windows against the running edges (one window at a time)."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._fill = settings.cdn.fill_plan
        self._topology = Topology.from_settings(settings)
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._credentials = ServiceCredentials.from_settings(settings, CALLER)
        self.run_dir = settings.data_dir / "run"

    async def run_window(self) -> PlanReport:
        started = self._clock()
        report = PlanReport(state="filling", started_at=started)
        demand = await gather_demand(self._client, self._topology.edges, self._settings, CALLER)
        report.sources, report.popularity = demand.sources, demand.popularity
        trace = as_trace(demand.requests)
        report.requests_learnt = trace.requests
        report.plays_learnt = sum(row.plays for row in demand.plays)
        if not trace.requests:
            report.state, report.finished_at = "nothing-learnt", self._clock()
            report.write(self.run_dir)
            return report
        known = PlanObjects(trace)
        for requests in trace.regions.values():
            known.observe(requests.objects)  # the whole log is the past
        segments = OriginSegments(known) if self._fill.unrequested else None
        planner: FillPlanner[int] = FillPlanner(
            self._fill, known.infos.__getitem__, known.sizes.__getitem__, segments
        )
        report.days_learnt = learn_from_log(
            planner, trace, self._fill.window_start_hour, demand.plays
        )
        if segments is not None:
            await self._list_unrequested(planner, segments, report)
        deadline = started + self._fill.window_hours * 3600
        for region in self._topology.regions:
            edges = [edge for edge in self._topology.edges if edge.region == region]
            await self._fill_region(region, edges, planner, known, report, deadline)
        report.state, report.finished_at = "done", self._clock()
        report.write(self.run_dir)
        return report

    async def _list_unrequested(
        self, planner: FillPlanner[int], segments: OriginSegments, report: PlanReport
    ) -> None:
        """The origin's listings of the titles whose unrequested positions are worth planning."""
        floor = self._fill.unrequested_min_requests
        siblings = {
            wanted.sibling
            for region in self._topology.regions
            for wanted in planner.forecast.unrequested(region, floor)
        }
        await segments.load(self._client, self._topology.origin_url, self._credentials, siblings)
        report.listings, report.listings_failed = segments.listed, segments.failed

    async def _fill_region(
        self,
        region: str,
        edges: Sequence[EdgeNode],
        planner: FillPlanner[int],
        known: PlanObjects,
        report: PlanReport,
        deadline: float,
    ) -> None:
        # Named first: an unrequested object an edge holds since an earlier window is held.
        expected = planner.expected(region)
        holdings = {edge.name: await self._held(edge, known) for edge in edges}
        capacity = self._settings.cdn.capacity_bytes
        names = [edge.name for edge in edges]
        plan = planner.plan_region(region, names, capacity, holdings, expected=expected)
        progress = RegionProgress(predicted_offload(plan, expected, known.sizes))
        report.regions[region] = progress
        for edge in edges:
            keys = plan.edges.get(edge.name, [])
            orders = [order.key for order in plan.fills.orders if order.edge == edge.name]
            progress.edges[edge.name] = EdgeProgress(
                planned_objects=len(keys),
                planned_bytes=sum(known.sizes[key] for key in keys),
                held_before=sum(1 for key in keys if key in holdings[edge.name]),
                to_fill=len(orders),
                deferred=sum(1 for name, _key in plan.fills.deferred if name == edge.name),
                planned_titles=list(dict.fromkeys(title_of(known.names[key]) for key in keys)),
                unrequested=sum(1 for key in keys if key >= known.traced),
            )
        report.write(self.run_dir)
        await asyncio.gather(
            *(
                self._fill_edge(edge, plan, known, progress.edges[edge.name], report, deadline)
                for edge in edges
            )
        )

    async def _held(self, edge: EdgeNode, known: PlanObjects) -> set[int]:
        try:
            response = await self._client.get(f"{edge.url}/holdings/objects", timeout=5.0)
            objects = response.json().get("objects", []) if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError, AttributeError):
            log.warning("edge %s did not say what it holds; planning as if empty", edge.name)
            return set()
        keys = (known.key_of(path) for path in objects)
        return {key for key in keys if key is not None}

    async def _fill_edge(
        self,
        edge: EdgeNode,
        plan: RegionPlan[int],
        known: PlanObjects,
        progress: EdgeProgress,
        report: PlanReport,
        deadline: float,
    ) -> None:
        orders = [order for order in plan.fills.orders if order.edge == edge.name]
        rate = self._fill.rate_bytes_per_s
        for start in range(0, len(orders), BATCH_OBJECTS):
            if self._clock() >= deadline:
                progress.deferred += len(orders) - start
                break
            batch = orders[start : start + BATCH_OBJECTS]
            began = self._clock()
            answer = await self._prefill(edge, [known.names[o.key] for o in batch])
            progress.filled_objects += answer.filled + answer.held
            progress.filled_bytes += answer.bytes
            progress.failed += answer.failed
            report.write(self.run_dir)
            # The bandwidth cap: a batch of B bytes takes at least B / rate seconds.
            wanted = sum(order.size for order in batch) / rate
            await self._wait(wanted - (self._clock() - began))

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            waited = self._sleep(seconds)
            if asyncio.iscoroutine(waited):
                await waited

    async def _prefill(self, edge: EdgeNode, paths: list[str]) -> PrefillAnswer:
        headers = {SERVICE_TOKEN_HEADER: self._credentials.token(AUDIENCE)}
        try:
            response = await self._client.post(
                f"{edge.url}{PATH.decode()}", json={"objects": paths}, headers=headers,
                timeout=max(30.0, 10.0 * len(paths)),
            )  # fmt: skip
            if response.status_code == 200:
                return PrefillAnswer.parse(response.json(), len(paths))
            log.warning("edge %s refused a prefill: %s %s", edge.name, response.status_code,
                        response.text[:200])  # fmt: skip
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("prefill on edge %s failed: %s", edge.name, exc)
        return PrefillAnswer(0, 0, len(paths), 0)
