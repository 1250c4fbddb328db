"""What the viewers saw, as it happened: every request, start, session and chaos event.

Viewers run on threads (the headless player is synchronous), so the recorder takes a lock; times
are seconds since the game day's clock started.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from vodstack.core.chaos import GROUP_HEADER
from vodstack.delivery.assets import URL_ROOT_TEXT

STALE_HEADER = "x-vodstack-stale"
# Numbers, and the long random tokens play sessions are named by.
_ID = re.compile(r"/(?:\d+|[A-Za-z0-9_-]{20,})(?=/|$)")


def route_of(path: str) -> str:
    """`/api/playback/12/start` -> `/api/playback/{id}/start`: latency is reported per route."""
    if path.startswith(URL_ROOT_TEXT):
        return "edge media"
    path = _ID.sub("/{id}", path)
    if path.startswith("/api/playback/{id}/") and not path.endswith(
        ("/start", "/heartbeat", "/stop")
    ):
        return "/api/playback/{id}/playlists"
    return path


@dataclass(frozen=True)
class RequestSample:
    at: float
    group: str
    route: str
    status: int  # 0: no answer (connection refused, reset, timeout)
    latency_s: float
    stale: bool = False
    shed: bool = False


@dataclass(frozen=True)
class StartSample:
    at: float
    group: str
    viewer: int
    ok: bool
    startup_s: float
    region: str = ""  # the region of the edge that served the first segment
    error: str = ""


@dataclass(frozen=True)
class SessionSample:
    started_at: float  # the first segment's arrival
    ended_at: float
    group: str
    viewer: int
    played_s: float
    rebuffers: int
    rebuffer_s: float
    edge_switches: int
    failed: bool
    error: str = ""


@dataclass(frozen=True)
class ChaosEvent:
    at: float
    kind: str  # monkey, latency, kong, stop, breaker, autoscaler, note
    detail: str


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    requests: list[RequestSample] = field(default_factory=list)
    starts: list[StartSample] = field(default_factory=list)
    sessions: list[SessionSample] = field(default_factory=list)
    events: list[ChaosEvent] = field(default_factory=list)
    playing: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def request(self, sample: RequestSample) -> None:
        with self._lock:
            self.requests.append(sample)

    def start(self, sample: StartSample) -> None:
        with self._lock:
            self.starts.append(sample)
            if sample.ok:
                self.playing.add(sample.viewer)

    def session(self, sample: SessionSample) -> None:
        with self._lock:
            self.sessions.append(sample)
            self.playing.discard(sample.viewer)

    def event(self, kind: str, detail: str) -> ChaosEvent:
        event = ChaosEvent(self.now(), kind, detail)
        with self._lock:
            self.events.append(event)
        return event

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [asdict(s) for s in self.requests],
                "starts": [asdict(s) for s in self.starts],
                "sessions": [asdict(s) for s in self.sessions],
                "events": [asdict(e) for e in self.events],
            }


def _is_shed(response: httpx.Response) -> bool:
    if response.status_code != 503:
        return False
    try:
        return bool(json.loads(response.content)["error"]["code"] == "overloaded")
    except (ValueError, KeyError, TypeError):
        return False


class TimedTransport(httpx.BaseTransport):
    """Times every request of one viewer (body included) into the recorder, by route."""

    def __init__(self, inner: httpx.BaseTransport, recorder: Recorder, group: str) -> None:
        self._inner = inner
        self._recorder = recorder
        self._group = group

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.url.path)
        at = self._recorder.now()
        sent = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
            response.read()
        except httpx.TransportError:
            self._recorder.request(
                RequestSample(at, self._group, route, 0, time.perf_counter() - sent)
            )
            raise
        sample = RequestSample(
            at,
            self._group,
            route,
            response.status_code,
            time.perf_counter() - sent,
            stale=response.headers.get(STALE_HEADER) == "1",
            shed=_is_shed(response),
        )
        self._recorder.request(sample)
        return response

    def close(self) -> None:
        self._inner.close()


__all__ = [
    "GROUP_HEADER",
    "ChaosEvent",
    "Recorder",
    "RequestSample",
    "SessionSample",
    "StartSample",
    "TimedTransport",
    "route_of",
]
