"""The player's side of the public API: log in, choose a profile, find a title, play, heartbeat.

It speaks to the gateway exactly as the web page does: cookie session, the CSRF cookie echoed in
`X-CSRF-Token` on every unsafe request, JSON bodies, the platform's error shape.

Log-in, start and stop ride out a service restart: a 502/503/504 or a connection error is
retried with backoff and jitter (core.backoff, about 30 s in all), then reported as a
`GatewayError` that says how long it tried. The final stop matters most: it records that the
title was watched to the end. A start carries an `Idempotency-Key` (one per press of play), so a
start retried after its answer was lost gets the same session, not a second one.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from vodstack.contracts.catalog import Availability, TitlePage
from vodstack.contracts.playback import Heartbeat, PlaybackStart, PlaySession, Stop
from vodstack.core.backoff import Backoff, retry

CSRF_COOKIE = "vodstack_csrf"
CSRF_HEADER = "X-CSRF-Token"
_PAGE = 100
_OUTAGE_STATUSES = frozenset({502, 503, 504})
LOGIN = "/api/auth/login"
# How long a log-in waits out 429s in all (a per-network limit of 10 a minute refills in 6 s).
_RATE_LIMIT_PATIENCE_S = 30.0
T = TypeVar("T")


class GatewayError(RuntimeError):
    """The gateway refused a request; carries its status and the platform's error code."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after  # a 429's Retry-After, in seconds


def _raise_for(response: httpx.Response) -> httpx.Response:
    if response.status_code < 400:
        return response
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "error", response.text[:200] or response.reason_phrase
    retry_after = response.headers.get("retry-after", "")
    wait = float(retry_after) if retry_after.isdigit() and response.status_code == 429 else None
    raise GatewayError(response.status_code, code, message, wait)


def is_outage(exc: Exception) -> bool:
    """An error worth retrying: the gateway or a service behind it is down or restarting."""
    if isinstance(exc, GatewayError):
        return exc.status in _OUTAGE_STATUSES
    return isinstance(exc, httpx.TransportError)


class GatewaySession:
    """One viewer's session with the gateway (a cookie jar, like one browser)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        backoff: Backoff | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._http = client or httpx.Client(base_url=self.base_url, timeout=timeout)
        self.backoff = backoff or Backoff()
        #: One line per retried call (what, why, how long it waited): a report can show them.
        self.retries: list[str] = []

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewaySession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _csrf(self) -> str:
        token = self._http.cookies.get(CSRF_COOKIE)
        if token is None:
            self._http.get("/healthz")  # any response hands out the CSRF cookie
            token = self._http.cookies.get(CSRF_COOKIE)
        if token is None:
            raise GatewayError(0, "csrf_unavailable", "the gateway handed out no CSRF cookie")
        return token

    def send(
        self, method: str, path: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """An unsafe request (POST, PUT, ...) with the CSRF header and a JSON body."""
        headers = {**kwargs.pop("headers", {}), CSRF_HEADER: self._csrf()}
        response = self._http.request(method, path, json=body or {}, headers=headers, **kwargs)
        return _raise_for(response)

    def post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.send("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return _raise_for(self._http.get(path, **kwargs))

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def resilient(self, what: str, call: Callable[[], T]) -> T:
        """`call()`, retried through an outage; after the backoff budget, one clear error."""
        started = time.monotonic()

        def note(exc: Exception, delay: float) -> None:
            self.retries.append(f"{what}: {exc}; retrying in {delay:.1f} s")

        try:
            return retry(call, is_outage, self.backoff, on_retry=note)
        except (GatewayError, httpx.TransportError) as exc:
            if not is_outage(exc):
                raise
            waited = time.monotonic() - started
            status = exc.status if isinstance(exc, GatewayError) else 0
            raise GatewayError(
                status,
                "unavailable",
                f"could not {what}: {exc}; still failing after {waited:.0f} s of retries",
            ) from exc

    # -- the viewer ----------------------------------------------------------------------------

    def log_in(self, email: str, password: str) -> None:
        body = {"email": email, "password": password}
        self.resilient("log in", lambda: self._after_rate_limit(lambda: self.post(LOGIN, body)))

    def _after_rate_limit(self, call: Callable[[], T]) -> T:
        """`call()`, again after each 429 once its Retry-After has passed, as a browser would.

        Log-in is limited per network: several players behind one address (a game day, a test
        module) can spend the burst between them; waiting the time the gateway names is the
        polite answer, and the limit still holds because every attempt counts against it.
        """
        waited = 0.0
        while True:
            try:
                return call()
            except GatewayError as exc:
                wait = exc.retry_after
                if exc.status != 429 or wait is None or waited + wait > _RATE_LIMIT_PATIENCE_S:
                    raise
                self.retries.append(f"log in: {exc}; retrying in {wait:.1f} s")
                time.sleep(wait)
                waited += wait

    def choose_profile(self, name: str | None = None) -> int:
        """Watch as the profile called `name` (default: the account's first profile)."""
        profiles: list[dict[str, Any]] = self.get("/api/profiles").json()
        chosen = [p for p in profiles if name is None or p["name"].lower() == name.lower()]
        if not chosen:
            names = ", ".join(p["name"] for p in profiles)
            raise GatewayError(404, "profile_not_found", f"no profile {name!r} (have: {names})")
        profile_id = int(chosen[0]["id"])
        self.post(f"/api/profiles/{profile_id}/select")
        return profile_id

    def find_title(self, title: str) -> int:
        """A title id from an id or a name (exact name first, then the best search match)."""
        if title.isdigit():
            return int(title)
        items = self.get("/api/search", params={"q": title, "limit": 20}).json()["items"]
        exact = [item for item in items if item["name"].lower() == title.lower()]
        found = exact or items
        if not found:
            raise GatewayError(404, "title_not_found", f"no title matches {title!r}")
        return int(found[0]["id"])

    def first_available(self) -> int:
        """The newest title that can be played now."""
        offset = 0
        while True:
            params = {"limit": _PAGE, "offset": offset, "sort": "new"}
            page = TitlePage.model_validate_json(self.get("/api/titles", params=params).content)
            for item in page.items:
                if item.availability is Availability.AVAILABLE:
                    return item.id
            offset += _PAGE
            if offset >= page.total:
                raise GatewayError(404, "nothing_playable", "no title is available to play yet")

    # -- playback ------------------------------------------------------------------------------

    def start(self, title_id: int, region: str | None = None) -> PlaybackStart:
        params = {"region": region} if region else {}
        path = f"/api/playback/{title_id}/start"
        # One key per press of play, sent with every retry: a start whose answer was lost (the
        # gateway or playback instance died mid-request) is answered with the same session.
        headers = {"Idempotency-Key": secrets.token_urlsafe(16)}
        response = self.resilient(
            "start playback", lambda: self.post(path, params=params, headers=headers)
        )
        return PlaybackStart.model_validate_json(response.content)

    def heartbeat(self, session_id: str, position_s: float, rendition: str | None) -> PlaySession:
        body = Heartbeat(position_s=position_s, rendition=rendition).model_dump(mode="json")
        response = self.post(f"/api/playback/{session_id}/heartbeat", body)
        return PlaySession.model_validate_json(response.content)

    def stop(
        self, session_id: str, position_s: float, completed: bool, *, retry: bool = True
    ) -> PlaySession:
        """End the session; `retry=False` for a best-effort stop after another failure."""
        body = Stop(position_s=position_s, completed=completed).model_dump(mode="json")
        path = f"/api/playback/{session_id}/stop"
        response = (
            self.resilient("stop playback", lambda: self.post(path, body))
            if retry
            else self.post(path, body)
        )
        return PlaySession.model_validate_json(response.content)

    def text(self, path_or_url: str) -> str:
        """A manifest served by the gateway (a path, or a URL relative to one)."""
        return self.get(path_or_url).text
