"""Latency and error injection (`vodstack chaos latency`), read by every service at run time.

The rules live in a file under the platform's run directory (`run/chaos/latency.json`), written
by the CLI and read by `ChaosMiddleware` in each service process: no endpoint carries them, so
nothing on the public API (or any network port) can switch chaos on. The middleware is
installed only when the platform was started with `chaos.enabled`, and it re-reads the file at
most every `CHECK_EVERY_S` (a `stat` when nothing changed), so a rule takes effect within about
half a second and `vodstack chaos stop` (which deletes the file) ends it as fast.
Probes (`/healthz`, `/metrics`) are never touched: chaos on traffic must not make the supervisor
replace the instance, which would be a different experiment (`chaos monkey`).

**Experiment groups** (as Netflix's FIT/ChAP do it): a rule may name a `group`; it then hits only
requests marked as that group's, a mark the caller sends in `x-vodstack-chaos-group` and every
service passes on to its own calls (core.http), so the failure follows the experiment's requests
through the whole call graph and the control group's requests never meet it. The mark is
`GROUP.EXPIRES.SIGNATURE`, signed with the platform's secret: only the platform's owner (who
runs `vodstack gameday`) can make one, and a forged, expired or missing mark is no group at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from vodstack.core.responses import error_response

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5
_PROBES = ("/healthz", "/metrics")
GROUP_HEADER = "x-vodstack-chaos-group"
_GROUP_HEADER_BYTES = GROUP_HEADER.encode()
# The verified mark of the request being served (passed on by core.http), or None.
group_mark_var: ContextVar[str | None] = ContextVar("chaos_group_mark", default=None)


def _signature(secret: bytes, group: str, expires: int) -> str:
    key = hmac.new(secret, b"vodstack chaos group", hashlib.sha256).digest()
    return hmac.new(key, f"{group}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def sign_group(secret: bytes, group: str, expires_at: float) -> str:
    """The mark that puts a request in `group` until `expires_at` (epoch seconds)."""
    if not group.isalnum():
        raise ValueError("a chaos group name is letters and digits")
    expires = int(expires_at)
    return f"{group}.{expires}.{_signature(secret, group, expires)}"


def verified_group(secret: bytes, mark: str, now: float | None = None) -> str | None:
    """The group a mark names, if it is signed with `secret` and not expired."""
    try:
        group, expires_text, signature = mark.split(".")
        expires = int(expires_text)
    except ValueError:
        return None
    if expires < (time.time() if now is None else now):
        return None
    return group if hmac.compare_digest(signature, _signature(secret, group, expires)) else None


def current_group_mark() -> str | None:
    return group_mark_var.get()


class LatencyRule(BaseModel):
    """Delay and/or fail `fraction` of one service's responses (optionally one route's)."""

    service: str
    route: str | None = None  # a path prefix, e.g. "/v1/titles"; None = every route
    fraction: float = Field(gt=0, le=1)
    delay_ms: int = Field(0, ge=0, le=600_000)
    error_status: int | None = Field(None, ge=400, le=599)
    # Only requests marked as this experiment group's (None: every request).
    group: str | None = None

    def matches(self, service: str, path: str, group: str | None = None) -> bool:
        return (
            self.service == service
            and (self.route is None or path.startswith(self.route))
            and (self.group is None or self.group == group)
        )


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
        secret: bytes = b"",
        draw: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.service = service
        self.rules = rules
        self.secret = secret
        self.draw = draw
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _PROBES:
            await self.app(scope, receive, send)
            return
        mark, group = self._group(scope)
        token = group_mark_var.set(mark)
        try:
            await self._serve(scope, receive, send, group)
        finally:
            group_mark_var.reset(token)

    def _group(self, scope: Scope) -> tuple[str | None, str | None]:
        """The request's verified mark and group (None, None when unmarked or forged)."""
        for key, value in scope.get("headers", []):
            if key == _GROUP_HEADER_BYTES and self.secret:
                mark = value.decode("latin-1")
                group = verified_group(self.secret, mark)
                return (mark, group) if group is not None else (None, None)
        return None, None

    async def _serve(self, scope: Scope, receive: Receive, send: Send, group: str | None) -> None:
        rule = next(
            (
                r
                for r in self.rules.current().rules
                if r.matches(self.service, scope["path"], group)
            ),
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
