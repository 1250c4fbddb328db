"""The replay path: a cached hot read answered before FastAPI's stack is entered.

A replayed catalog listing cost about 25 µs of CPU in-process, of which the replay itself (the
data version, a dictionary lookup, two `send`s) was 6: FastAPI's and Starlette's outer
wrappers cost 5, the observability middleware 12 (bench/hot_read_cost.py --layers). At 32
connections the server stack's own floor is 24-33 µs a request, so that overhead alone kept
every cached read near 0.3x of its anchor (docs/benchmarks.md, issue 23).

`ServiceApp` is the FastAPI app every service gets (core.app); `replay` answers before
`FastAPI.__call__` when it can, and otherwise hands the request to the full stack, exactly as
before. It answers only what `AnswerCache` (core.answer_cache) would have replayed: a GET of a
cached path from a caller `admits` lets through, found in the store under the data's current
version. What it sends and records is what the full stack would: the answer's kept headers and
bytes with the request id appended (core.metrics.ObservabilityMiddleware), the same metrics
series and the same access line (core.access_line). A miss goes to the app with what the store
said, so `AnswerCache` fills it without a second lookup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from vodstack.core.access_line import log_access
from vodstack.core.answer_cache import LOOKED_UP, Admits
from vodstack.core.answer_store import AnswerStore, Clock
from vodstack.core.context import REQUEST_ID_HEADER, request_id_of
from vodstack.core.metrics import UNMATCHED, ServiceMetrics

_REQUEST_ID = REQUEST_ID_HEADER.encode()


class ReplayPath:
    """Answers a request from the store if the full stack would have replayed it."""

    def __init__(
        self,
        *,
        paths: Sequence[str],
        store: AnswerStore,
        admits: Admits,
        metrics: ServiceMetrics,
        clock: Clock = time.time,
    ) -> None:
        self._paths = re.compile("|".join(f"(?:{p})" for p in paths))
        self._store = store
        self._admits = admits
        self._metrics = metrics
        self._clock = clock

    async def answered(self, scope: Scope, send: Send) -> bool:
        """True if the request was answered here; False: the app must answer it."""
        if (
            scope["method"] != "GET"
            or self._paths.fullmatch(scope["path"]) is None
            or not self._admits(scope)
        ):
            return False
        started = time.perf_counter()
        key = f"{scope['path']}?{scope['query_string'].decode('latin-1')}"
        store = self._store
        found = store.lookup_now(key) if store.in_process else await store.lookup(key)
        if found is None or found[1] is None or not found[1].live(self._clock):
            scope[LOOKED_UP] = None if found is None else (key, found[0])
            return False
        answer = found[1]
        rid = request_id_of(scope)
        headers = [*answer.headers, (_REQUEST_ID, rid.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        route = answer.route or UNMATCHED
        elapsed = time.perf_counter() - started
        self._metrics.record("GET", route, 200, elapsed)
        log_access("GET", route, 200, elapsed, rid)
        return True


class ServiceApp(FastAPI):
    """FastAPI with the replay path in front of its whole middleware stack."""

    replay: ReplayPath | None = None

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        """As FastAPI's; one added after the app was assembled (the CLI's chaos middleware)
        must see every request, replays included, so the replay path is turned off."""
        self.replay = None
        super().add_middleware(middleware_class, *args, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replay = self.replay
        if replay is not None and scope["type"] == "http" and await replay.answered(scope, send):
            return
        await super().__call__(scope, receive, send)
