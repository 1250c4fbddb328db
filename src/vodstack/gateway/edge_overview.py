"""What the admin CDN page shows: every edge's `/healthz` figures, summed per region.

The gateway asks the edges directly (they are in the topology it already knows) with a short
timeout, all at once; an edge that does not answer is shown as down, never waited for.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import BaseModel

from vodstack.delivery.topology import EdgeNode, Topology

TIMEOUT_S = 1.0


class EdgeFigures(BaseModel):
    name: str
    region: str
    up: bool
    eviction: str = ""
    requests: int = 0
    served_bytes: int = 0
    cache_bytes_served: int = 0
    byte_hit_ratio: float = 0.0
    fill_bytes_peer: int = 0
    fill_bytes_origin: int = 0
    evictions: int = 0
    objects: int = 0
    titles_held: int = 0
    used_bytes: int = 0
    capacity_bytes: int = 0
    in_flight: int = 0
    # From the fill planner's last window (None: no plan for this edge).
    planned_objects: int | None = None
    planned_filled: int | None = None


class RegionFigures(BaseModel):
    region: str
    edges_up: int
    edges: int
    served_bytes: int
    byte_hit_ratio: float
    fill_bytes: int
    predicted_offload: float | None = None  # of the last plan, next to the realised one


class CdnOverview(BaseModel):
    regions: list[RegionFigures]
    edges: list[EdgeFigures]
    plan_state: str = "unknown"  # the planner's last window: idle, filling, done, ...


def _figures(edge: EdgeNode, health: dict[str, Any]) -> EdgeFigures:
    sources = health.get("served_bytes_by_source") or {}
    fills = health.get("fill_bytes") or {}
    return EdgeFigures(
        name=edge.name,
        region=edge.region,
        up=True,
        eviction=str(health.get("eviction", "")),
        requests=int(health.get("requests", 0)),
        served_bytes=int(health.get("served_bytes", 0)),
        cache_bytes_served=int(sources.get("cache", 0)),
        byte_hit_ratio=float(health.get("byte_hit_ratio", 0.0)),
        fill_bytes_peer=int(fills.get("peer", 0)),
        fill_bytes_origin=int(fills.get("origin", 0)),
        evictions=int(health.get("evictions", 0)),
        objects=int(health.get("objects", 0)),
        titles_held=int(health.get("titles_held", 0)),
        used_bytes=int(health.get("used_bytes", 0)),
        capacity_bytes=int(health.get("capacity_bytes", 0)),
        in_flight=int(health.get("in_flight", 0)),
    )


async def _ask(client: httpx.AsyncClient, edge: EdgeNode) -> EdgeFigures:
    try:
        response = await client.get(f"{edge.url}/healthz", timeout=TIMEOUT_S)
        if response.status_code == 200:
            return _figures(edge, response.json())
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        pass
    return EdgeFigures(name=edge.name, region=edge.region, up=False)


def summarize(edges: list[EdgeFigures]) -> list[RegionFigures]:
    """Per region: offload is the region's cache bytes over its served bytes (byte-weighted)."""
    regions: list[RegionFigures] = []
    for region in dict.fromkeys(edge.region for edge in edges):
        mine = [edge for edge in edges if edge.region == region]
        served = sum(edge.served_bytes for edge in mine)
        cached = sum(edge.cache_bytes_served for edge in mine)
        regions.append(
            RegionFigures(
                region=region,
                edges_up=sum(edge.up for edge in mine),
                edges=len(mine),
                served_bytes=served,
                byte_hit_ratio=round(cached / served, 4) if served else 0.0,
                fill_bytes=sum(edge.fill_bytes_peer + edge.fill_bytes_origin for edge in mine),
            )
        )
    return regions


async def _plan(client: httpx.AsyncClient, planner_url: str | None) -> dict[str, Any]:
    if planner_url is None:
        return {}
    try:
        response = await client.get(f"{planner_url}/plan", timeout=TIMEOUT_S)
        plan = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}
    return plan if isinstance(plan, dict) else {}


def with_plan(overview: CdnOverview, plan: dict[str, Any]) -> CdnOverview:
    regions = plan.get("regions") or {}
    for region in overview.regions:
        progress = regions.get(region.region) or {}
        if "predicted_offload" in progress:
            region.predicted_offload = float(progress["predicted_offload"])
    for edge in overview.edges:
        progress = ((regions.get(edge.region) or {}).get("edges") or {}).get(edge.name)
        if progress:
            edge.planned_objects = int(progress.get("planned_objects", 0))
            edge.planned_filled = int(progress.get("filled_objects", 0)) + int(
                progress.get("held_before", 0)
            )
    overview.plan_state = str(plan.get("state", "unknown"))
    return overview


async def overview(
    topology: Topology, client: httpx.AsyncClient, planner_url: str | None = None
) -> CdnOverview:
    asked = asyncio.gather(*(_ask(client, edge) for edge in topology.edges))
    edges, plan = await asyncio.gather(asked, _plan(client, planner_url))
    figures = CdnOverview(regions=summarize(list(edges)), edges=list(edges))
    return with_plan(figures, plan)
