"""Steering: the ordered edge base URLs a player should try for one title.

    1. healthy edges of the viewer's region: those that hold bytes of the title first, then the
       others, each group in load-weighted rendezvous order on the title (each title's bytes
       concentrate on few edges; a busy edge wins fewer titles);
    2. healthy edges of the other regions, region by region in configured order, same ranking;
    3. the origin, last.

Region outranks holding (docs/decisions.md, "Content-aware steering"): an edge of the viewer's
region that lacks the title fills it from a same-region peer that has it, at LAN cost, while a
far region's holder would cost every viewer the long path for the whole session.
Unhealthy edges are left out; the player moves down the list on errors.
"""

from __future__ import annotations

from typing import Protocol

from vodstack.delivery.rendezvous import rendezvous_order
from vodstack.delivery.topology import EdgeNode, Topology

DEFAULT_LOAD_SCALE = 32.0  # in-flight requests at which an edge's weight halves


class HealthView(Protocol):
    def is_healthy(self, name: str) -> bool: ...

    def load(self, name: str) -> float: ...

    def holds(self, name: str, title_id: str) -> bool: ...


class Steering:
    def __init__(
        self, topology: Topology, health: HealthView, *, load_scale: float = DEFAULT_LOAD_SCALE
    ) -> None:
        self._topology = topology
        self._health = health
        self._load_scale = load_scale

    def _weight(self, edge: EdgeNode) -> float:
        return 1.0 / (1.0 + self._health.load(edge.name) / self._load_scale)

    def _ranked(self, title_id: str, region: str) -> list[EdgeNode]:
        edges = [
            edge
            for edge in self._topology.edges
            if edge.region == region and self._health.is_healthy(edge.name)
        ]
        ranked = rendezvous_order(title_id, edges, name=lambda e: e.name, weight=self._weight)
        holders = [edge for edge in ranked if self._health.holds(edge.name, title_id)]
        return holders + [edge for edge in ranked if edge not in holders]

    def rank(self, title_id: str, region: str | None) -> list[str]:
        """Base URLs (no trailing slash), best first, origin last."""
        regions = self._topology.regions
        home = region if region in regions else regions[0]
        order = [home, *(r for r in regions if r != home)]
        urls = [edge.url for r in order for edge in self._ranked(title_id, r)]
        return [*urls, self._topology.origin_url]
