"""An in-process platform for playback tests: gateway -> accounts, catalog, playback (ASGI);
with `history`, also the events and history services on one embedded log (resume points)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.gateway import PASSWORD, Visitor, cheap_passwords, make_settings, new_email
from tests.support.playback import EDGES, VERSION, publish
from tests.support.service_tokens import authorized
from vodstack.config.settings import Settings
from vodstack.events.log import open_event_log
from vodstack.gateway.app import create_app as create_gateway_app
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.billing.app import create_app as create_billing_app
from vodstack.services.billing.clock import Clock, utc_now
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.events.app import create_app as create_events_app
from vodstack.services.experiments.app import create_app as create_experiments_app
from vodstack.services.history.app import create_app as create_history_app
from vodstack.services.playback.app import create_app as create_playback_app
from vodstack.supervisor.launcher import free_port


class RecordingEdges:
    """Fixed edges, remembering which region each start was ranked for."""

    def __init__(self) -> None:
        self.regions: list[str | None] = []

    def rank(self, region: str | None, title_id: int) -> list[str]:
        self.regions.append(region)
        return list(EDGES)


@dataclass
class Platform:
    client: TestClient
    catalog: TestClient
    edges: RecordingEdges
    objects: Path
    settings: Settings
    playback_app: FastAPI
    billing_app: FastAPI | None = None  # None: no billing service (every account plays)
    experiments: TestClient | None = None  # the experiments service, when it runs
    playback: TestClient | None = None  # playback called directly, with a service token

    def viewer(self, plan: str) -> Visitor:
        visitor = Visitor(self.client)
        body = {"email": new_email(plan), "password": PASSWORD, "plan": plan}
        assert visitor.post("/api/auth/signup", json=body).status_code == 201
        visitor.watch_as(visitor.first_profile_id())
        return visitor

    def title(
        self,
        maturity: str = "teen",
        *,
        published: bool = True,
        publisher: Callable[[Path, int], None] = publish,
    ) -> int:
        body = {"name": f"Film {maturity}", "year": 2024, "maturity": maturity, "genres": ["X"]}
        created = self.catalog.post("/v1/titles", json=body)
        assert created.status_code == 201, created.text
        title_id = int(created.json()["id"])
        if published:
            publisher(self.objects, title_id)
            change = {"availability": "available", "asset_version": VERSION}
            response = self.catalog.put(f"/v1/titles/{title_id}/availability", json=change)
            assert response.status_code == 200, response.text
        return title_id


@contextmanager
def inprocess_platform(
    tmp_path: Path,
    *,
    catalog_down: bool = False,
    history: bool = False,
    with_experiments: bool = False,
    billing_clock: Clock = utc_now,
    **overrides: Any,
) -> Iterator[Platform]:
    """Gateway, accounts, catalog and playback apps in this process, talking HTTP (ASGI).
    `catalog_down`: playback reaches for the catalog on a port where nothing listens.
    `history`: the events and history services run too (players' events feed resume points);
    without it, playback's history port has nothing listening (starts play from 0).
    `with_experiments`: the events and experiments services run too (`Platform.experiments`).
    Billing always runs (sign-ups subscribe), on `billing_clock`."""
    settings = make_settings(tmp_path, **overrides)
    if not history:
        settings = settings.model_copy(update={"ports": {**settings.ports, "history": free_port()}})
    edges = RecordingEdges()
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    catalog_app = create_catalog_app(settings)
    billing_app = create_billing_app(settings, clock=billing_clock)
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "accounts": httpx.ASGITransport(app=accounts_app),
        "catalog": httpx.ASGITransport(app=catalog_app),
        "billing": httpx.ASGITransport(app=billing_app),
    }
    with ExitStack() as stack:
        experiments_client: TestClient | None = None
        if history or with_experiments:
            event_log = open_event_log(settings)
            stack.callback(event_log.close)
            events_app = create_events_app(settings, event_log=event_log)
            stack.enter_context(TestClient(events_app))
            transports["events"] = httpx.ASGITransport(app=events_app)
        if history:
            history_app = create_history_app(settings, event_log=event_log)
            stack.enter_context(TestClient(history_app))
            transports["history"] = httpx.ASGITransport(app=history_app)
        if with_experiments:
            experiments_app = create_experiments_app(
                settings, event_log=event_log, events_transport=transports["events"]
            )
            experiments_client = stack.enter_context(
                authorized(TestClient(experiments_app), settings, "experiments")
            )
            transports["experiments"] = httpx.ASGITransport(app=experiments_app)
        if catalog_down:
            dead = settings.model_copy(update={"ports": {**settings.ports, "catalog": free_port()}})
            playback_app = create_playback_app(dead, edges=edges)
        else:
            playback_app = create_playback_app(
                settings,
                edges=edges,
                catalog_transport=transports["catalog"],
                history_transport=transports.get("history"),
                billing_transport=transports["billing"],
            )
        transports["playback"] = httpx.ASGITransport(app=playback_app)
        stack.enter_context(TestClient(accounts_app))
        stack.enter_context(TestClient(billing_app))
        catalog = stack.enter_context(authorized(TestClient(catalog_app), settings, "catalog"))
        playback = stack.enter_context(authorized(TestClient(playback_app), settings, "playback"))
        client = stack.enter_context(
            TestClient(create_gateway_app(settings, transports=transports))
        )
        yield Platform(
            client,
            catalog,
            edges,
            settings.data_dir / "objects",
            settings,
            playback_app,
            billing_app,
            experiments_client,
            playback,
        )
