"""A region's plan in numbers: per edge contents and fills, and the offload it predicts.

Used by `vodstack cache plan` (from a request log) and meant for the admin page once the
planner runs live. Predicted offload = expected bytes served by the planned objects / all
expected bytes of the region (both from the same forecast).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from vodstack.cdn.cache.trace import Trace
from vodstack.config.settings import FillPlanSettings
from vodstack.control.fills import ORIGIN
from vodstack.control.history import learn_from_log
from vodstack.control.objects import ObjectInfo
from vodstack.control.plan_objects import PlanObjects
from vodstack.control.planner import FillPlanner, RegionPlan


@dataclass
class EdgePlanSummary:
    name: str
    titles: int
    objects: int
    unrequested: int  # planned objects the log never requested (cdn.fill_plan.unrequested)
    planned_bytes: int
    peer_bytes: int
    origin_bytes: int
    deferred: int
    expected_hits: float


@dataclass
class RegionPlanSummary:
    edges: list[EdgePlanSummary]
    predicted_offload: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def plan_from_log(
    log: Trace, settings: FillPlanSettings, edges_per_region: int, capacity_per_edge: int
) -> dict[str, RegionPlanSummary]:
    """Learn every day of `log`, then plan each of its regions' edges (none held yet)."""
    known = PlanObjects(log)
    for requests in log.regions.values():
        known.observe(requests.objects)  # the whole log is the past here
    planner: FillPlanner[int] = FillPlanner(
        settings, known.infos.__getitem__, known.sizes.__getitem__, known
    )
    learn_from_log(planner, log, settings.window_start_hour)
    result = {}
    for region in log.regions:
        label = region or "all"
        edges = [f"edge-{label}-{n}" for n in range(1, edges_per_region + 1)]
        plan = planner.plan_region(region, edges, capacity_per_edge, {})
        result[label] = _summarize(plan, planner, known.sizes, known.infos, len(log.names))
    return result


def _summarize(
    plan: RegionPlan[int],
    planner: FillPlanner[int],
    sizes: list[int],
    infos: list[ObjectInfo],
    requested: int,
) -> RegionPlanSummary:
    """`requested`: objects numbered below it are the log's (the rest were named unrequested)."""
    edges = []
    for edge, keys in plan.edges.items():
        orders = [order for order in plan.fills.orders if order.edge == edge]
        edges.append(EdgePlanSummary(
            name=edge,
            titles=len({infos[key].title for key in keys}),
            objects=len(keys),
            unrequested=sum(1 for key in keys if key >= requested),
            planned_bytes=sum(sizes[key] for key in keys),
            peer_bytes=sum(o.size for o in orders if o.source != ORIGIN),
            origin_bytes=sum(o.size for o in orders if o.source == ORIGIN),
            deferred=sum(1 for deferred_edge, _key in plan.fills.deferred if deferred_edge == edge),
            expected_hits=sum(plan.expected[key] for key in keys),
        ))  # fmt: skip
    forecast = planner.expected(plan.region)
    total = sum(count * sizes[key] for key, count in forecast.items())
    planned = sum(count * sizes[key] for key, count in plan.expected.items())
    return RegionPlanSummary(edges, planned / total if total else 0.0)
