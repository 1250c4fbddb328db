"""Which edges exist: `regions x edges_per_region`, their names, ports, URLs and peers.

Edge `edge-{region}-{n}` (n from 1) listens on `cdn.base_port + i` (i counts over all regions
in order) unless `settings.ports` names it explicitly. The origin is the `origin` service.
"""

from __future__ import annotations

from dataclasses import dataclass

from vodstack.config import Settings

ORIGIN = "origin"


def edge_name(region: str, number: int) -> str:
    return f"edge-{region}-{number}"


@dataclass(frozen=True, slots=True)
class EdgeNode:
    name: str
    region: str
    port: int
    url: str  # base URL, no trailing slash


@dataclass(frozen=True)
class Topology:
    edges: tuple[EdgeNode, ...]
    origin_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        cdn = settings.cdn
        edges = []
        for r, region in enumerate(cdn.regions):
            for n in range(1, cdn.edges_per_region + 1):
                name = edge_name(region, n)
                index = r * cdn.edges_per_region + (n - 1)
                port = settings.ports.get(name, cdn.base_port + index)
                url = f"http://{settings.service_host(name)}:{port}"
                edges.append(EdgeNode(name, region, port, url))
        return cls(tuple(edges), settings.service_url(ORIGIN))

    @property
    def regions(self) -> list[str]:
        return list(dict.fromkeys(edge.region for edge in self.edges))

    @property
    def names(self) -> list[str]:
        return [edge.name for edge in self.edges]

    def edge(self, name: str) -> EdgeNode:
        for edge in self.edges:
            if edge.name == name:
                return edge
        raise KeyError(f"unknown edge {name!r}; this topology has {', '.join(self.names)}")

    def peers(self, name: str) -> tuple[EdgeNode, ...]:
        """The other edges of `name`'s region (where a miss looks before the origin)."""
        me = self.edge(name)
        return tuple(e for e in self.edges if e.region == me.region and e.name != name)
