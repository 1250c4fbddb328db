"""CORS for the playback API only, for the web origins in `playback.cors_origins`.

A player page on another origin (a Shaka Player app, a partner site) fetches the stream URLs'
manifests from the gateway, and with the session cookie may press play itself; the rest of
the API stays same-origin. Starlette's `CORSMiddleware` does the protocol (preflights, echoing
an allowed origin, `Vary: Origin`); this only routes `/api/playback` through it.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from vodstack.contracts.playback import PUBLIC_PLAYBACK_PREFIX

_PREFIX = PUBLIC_PLAYBACK_PREFIX + "/"


class PlaybackCors:
    """Answers CORS on `/api/playback/...` for `origins`; other paths pass untouched."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-csrf-token", "range"],
            allow_credentials="*" not in origins,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(_PREFIX):
            await self._cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
