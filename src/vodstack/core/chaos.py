"""Latency and error injection (`vodstack chaos latency`), read by every service at run time.

The rules live in a file under the platform's run directory (`run/chaos/latency.json`), written
by the CLI and read by `ChaosMiddleware` in each service process: no endpoint carries them, so
nothing on the public API (or any network port) can switch chaos on. The middleware is
installed only when the platform was started with `chaos.enabled`, and it re-reads the file at
most every `CHECK_EVERY_S` (a `stat` when nothing changed), so a rule takes effect within about
half a second and `vodstack chaos stop` (which deletes the file) ends it as fast.
Probes (`/healthz`, `/metrics`) are never touched: chaos on traffic must not make the supervisor
replace the instance, which would be a different experiment (`chaos monkey`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from vodstack.core.responses import error_response

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5
_PROBES = ("/healthz", "/metrics")


class LatencyRule(BaseModel):
    """Delay and/or fail `fraction` of one service's responses (optionally one route's)."""

    service: str
    route: str | None = None  # a path prefix, e.g. "/v1/titles"; None = every route
    fraction: float = Field(gt=0, le=1)
    delay_ms: int = Field(0, ge=0, le=600_000)
    error_status: int | None = Field(None, ge=400, le=599)

    def matches(self, service: str, path: str) -> bool:
        return self.service == service and (self.route is None or path.startswith(self.route))


class LatencyRules(BaseModel):
    rules: list[LatencyRule] = Field(default_factory=list)


def rules_path(run_dir: Path) -> Path:
    return run_dir / "chaos" / "latency.json"


class RuleFile:
    """The rules file, re-read when it changes (checked at most every `CHECK_EVERY_S`)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._checked_at = float("-inf")
        self._mtime: int | None = None
        self._rules = LatencyRules()

    def current(self) -> LatencyRules:
        now = self._clock()
        if now - self._checked_at >= CHECK_EVERY_S:
            self._checked_at = now
            self._refresh()
        return self._rules

    def _refresh(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._mtime, self._rules = None, LatencyRules()
            return
        if mtime == self._mtime:
            return
        try:
            self._rules = LatencyRules.model_validate_json(self.path.read_bytes())
            self._mtime = mtime
        except (OSError, ValidationError):
            log.warning("ignoring unreadable chaos rules in %s", self.path, exc_info=True)


class ChaosMiddleware:
    """Delays or fails the share of responses a `LatencyRule` of this service asks for."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        rules: RuleFile,
        draw: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.service = service
        self.rules = rules
        self.draw = draw
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _PROBES:
            await self.app(scope, receive, send)
            return
        rule = next(
            (r for r in self.rules.current().rules if r.matches(self.service, scope["path"])),
            None,
        )
        if rule is None or self.draw() >= rule.fraction:
            await self.app(scope, receive, send)
            return
        if rule.delay_ms:
            await self.sleep(rule.delay_ms / 1000)
        if rule.error_status is None:
            await self.app(scope, receive, send)
            return
        message = f"Injected by `vodstack chaos latency` on {self.service} (docs/chaos.md)."
        await error_response(rule.error_status, "chaos", message)(scope, receive, send)
