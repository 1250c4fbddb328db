"""Where a viewer's segments come from: ranked edge base URLs (the CDN's steering decides)."""

from __future__ import annotations

from typing import Protocol

from vodstack.control.steering import Steering


class EdgeRanker(Protocol):
    def rank(self, region: str | None, title_id: int) -> list[str]:
        """Edge base URLs for a viewer in `region` watching `title_id`, best first."""
        ...


class FixedEdges:
    """The same list for everyone (tests, and a single-edge deployment)."""

    def __init__(self, edges: list[str]) -> None:
        self._edges = list(edges)

    def rank(self, region: str | None, title_id: int) -> list[str]:
        return list(self._edges)


class SteeringEdges:
    """The CDN's steering: healthy edges of the viewer's region first, origin last."""

    def __init__(self, steering: Steering) -> None:
        self._steering = steering

    def rank(self, region: str | None, title_id: int) -> list[str]:
        return self._steering.rank(str(title_id), region)
