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
from vodstack.control.objects import ObjectInfo, describe
from vodstack.control.planner import FillPlanner, RegionPlan


@dataclass
class EdgePlanSummary:
    name: str
    titles: int
    objects: int
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
    infos = [describe(name) for name in log.names]
    planner: FillPlanner[int] = FillPlanner(settings, infos.__getitem__, log.sizes.__getitem__)
    learn_from_log(planner, log, settings.window_start_hour)
    result = {}
    for region in log.regions:
        label = region or "all"
        edges = [f"edge-{label}-{n}" for n in range(1, edges_per_region + 1)]
        plan = planner.plan_region(region, edges, capacity_per_edge, {})
        result[label] = _summarize(plan, planner, log.sizes, infos)
    return result


def _summarize(
    plan: RegionPlan[int], planner: FillPlanner[int], sizes: list[int], infos: list[ObjectInfo]
) -> RegionPlanSummary:
    edges = []
    for edge, keys in plan.edges.items():
        orders = [order for order in plan.fills.orders if order.edge == edge]
        edges.append(EdgePlanSummary(
            name=edge,
            titles=len({infos[key].title for key in keys}),
            objects=len(keys),
            planned_bytes=sum(sizes[key] for key in keys),
            peer_bytes=sum(o.size for o in orders if o.source != ORIGIN),
            origin_bytes=sum(o.size for o in orders if o.source == ORIGIN),
            deferred=sum(1 for deferred_edge, _key in plan.fills.deferred if deferred_edge == edge),
            expected_hits=sum(plan.expected[key] for key in keys),
        ))  # fmt: skip
    forecast = planner.forecast.expected_requests(plan.region)
    total = sum(count * sizes[key] for key, count in forecast.items())
    planned = sum(count * sizes[key] for key, count in plan.expected.items())
    return RegionPlanSummary(edges, planned / total if total else 0.0)
