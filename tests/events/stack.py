"""The gateway wired to in-process accounts, catalog, events, history and telemetry apps (the
events suite's stack); they share one log, as in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from fastapi.testclient import TestClient

from tests.support.gateway import Stack, cheap_passwords
from tests.support.service_tokens import authorized
from vodstack.config.settings import Settings
from vodstack.events.log import EventLog
from vodstack.gateway.app import create_app
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.events.app import create_app as create_events_app
from vodstack.services.history.app import create_app as create_history_app
from vodstack.services.telemetry.app import create_app as create_telemetry_app


def event(kind: str = "heartbeat", **fields: Any) -> dict[str, Any]:
    """A valid event of `kind` as a player sends it (no profile: the gateway stamps it)."""
    extras: dict[str, dict[str, Any]] = {
        "play_start": {"startup_ms": 850.0},
        "rebuffer_end": {"stall_ms": 1200.0},
        "rendition_switch": {"from_rendition": "v360p", "to_rendition": "v720p"},
        "edge_switch": {"from_edge": "edge-eu-0", "to_edge": "edge-eu-1"},
        "error": {"code": "segment_404", "message": "segment missing"},
        "stop": {"completed": False},
    }
    extra = extras.get(kind, {})
    base = {
        "type": kind,
        "event_id": uuid4().hex,
        "session_id": "session-0001",
        "title_id": 1,
        "at": datetime.now(UTC).isoformat(),
        "position_s": 12.5,
        "duration_s": 600.0,
        "rendition": "v720p",
        "bandwidth_kbps": 4200.0,
        "buffer_s": 8.0,
    }
    return {**base, **extra, **fields}


class Refused(httpx.AsyncBaseTransport):
    """A service that is down: every connection refused."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


@dataclass
class EventsStack(Stack):
    events: TestClient
    history: TestClient
    transports: dict[str, httpx.AsyncBaseTransport]


@contextmanager
def events_stack(
    settings: Settings, event_log: EventLog, *, history_down: bool = False
) -> Iterator[EventsStack]:
    """The stack; with `history_down` the gateway's road to the history service is cut."""
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    catalog_app = create_catalog_app(settings)
    events_app = create_events_app(settings, event_log=event_log)
    history_app = create_history_app(settings, event_log=event_log)
    telemetry_app = create_telemetry_app(settings, event_log=event_log)
    with (
        authorized(TestClient(accounts_app), settings, "accounts") as accounts,
        authorized(TestClient(catalog_app), settings, "catalog") as catalog,
        authorized(TestClient(events_app), settings, "events") as events,
        authorized(TestClient(history_app), settings, "history") as history,
        TestClient(telemetry_app),
    ):
        transports: dict[str, httpx.AsyncBaseTransport] = {
            "accounts": httpx.ASGITransport(app=accounts_app),
            "catalog": httpx.ASGITransport(app=catalog_app),
            "events": httpx.ASGITransport(app=events_app),
            "history": Refused() if history_down else httpx.ASGITransport(app=history_app),
            "telemetry": httpx.ASGITransport(app=telemetry_app),
        }
        gateway = create_app(settings, transports=transports)
        with TestClient(gateway) as client:
            yield EventsStack(
                settings, gateway, client, accounts, catalog, None, events, history, transports
            )
