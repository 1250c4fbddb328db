"""Fetching media from the ranked edges, moving down the list when one fails.

Signed URLs in the playlists name the first edge; the token (`?t=`) is bound to the asset's path,
not to a host, so failing over is swapping the scheme and host for the next edge's and asking
again for the same file. An edge that refuses the connection, times out or answers 5xx is
left for good (a real player would not hop back mid-play either); a 4xx is the request's fault
and is raised at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx


class PlaybackFailed(RuntimeError):
    """No edge could deliver a file, or one refused it for a reason failover cannot fix."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    edge: str
    wall_s: float
    #: The edge's own name (`X-Served-By`), "" if it sent none.
    served_by: str = ""


def on_edge(url: str, edge: str) -> str:
    """`url` with its scheme and host replaced by those of the `edge` base URL."""
    target = urlsplit(edge)
    parts = urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))


class EdgeFailover:
    def __init__(self, edges: list[str], client: httpx.Client) -> None:
        if not edges:
            raise PlaybackFailed("the playback service returned no edge to play from")
        self._edges = list(edges)
        self._client = client
        self._current = 0
        #: Edges that served at least one file, in the order first used.
        self.edges_used: list[str] = []
        self.switches = 0
        self.errors: list[str] = []

    @property
    def edge(self) -> str:
        return self._edges[self._current]

    def fetch(self, url: str) -> Fetched:
        """The file at `url` (a signed edge URL) from the current edge, failing over as needed."""
        while True:
            edge = self.edge
            started = time.perf_counter()
            try:
                response = self._client.get(on_edge(url, edge))
            except httpx.TransportError as exc:
                self._move_on(edge, f"{type(exc).__name__}: {exc}")
                continue
            if response.status_code >= 500:
                self._move_on(edge, f"HTTP {response.status_code}")
                continue
            if response.status_code >= 400:
                raise PlaybackFailed(
                    f"{edge} refused {urlsplit(url).path}: HTTP {response.status_code} "
                    f"{response.text[:200]}"
                )
            if edge not in self.edges_used:
                self.edges_used.append(edge)
            wall = time.perf_counter() - started
            return Fetched(response.content, edge, wall, response.headers.get("x-served-by", ""))

    def _move_on(self, edge: str, reason: str) -> None:
        self.errors.append(f"{edge}: {reason}")
        if self._current + 1 >= len(self._edges):
            raise PlaybackFailed(f"every edge failed; last: {edge}: {reason}")
        self._current += 1
        self.switches += 1
