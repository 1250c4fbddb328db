"""Experiments through the gateway: admins define them and read results; the home page's row
order and the playback start's ABR algorithm follow the member's cell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.gateway import (
    PASSWORD,
    SAMPLE_TITLES,
    Stack,
    Visitor,
    cheap_passwords,
    make_settings,
    new_email,
    publish,
    upstream_transports,
)
from tests.support.service_tokens import authorized
from vodstack.config.settings import ExperimentsSettings
from vodstack.contracts.experiments import Cell
from vodstack.contracts.recs import Row, RowKind
from vodstack.events.log import open_event_log
from vodstack.gateway.app import create_app
from vodstack.gateway.experiments import HOME_ROW_ORDERS
from vodstack.gateway.web.browse_pages import led_by
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.events.app import create_app as create_events_app
from vodstack.services.experiments.allocation import allocate
from vodstack.services.experiments.app import create_app as create_experiments_app


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # A loaded machine must not turn a slow in-process assignment into the default cell.
    settings = make_settings(tmp_path, experiments=ExperimentsSettings(assign_timeout_s=30))
    log = open_event_log(settings)
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    catalog_app = create_catalog_app(settings)
    events_app = create_events_app(settings, event_log=log)
    experiments_app = create_experiments_app(
        settings, event_log=log, events_transport=httpx.ASGITransport(events_app)
    )
    transports = upstream_transports(accounts_app, catalog_app)
    transports["events"] = httpx.ASGITransport(events_app)
    transports["experiments"] = httpx.ASGITransport(experiments_app)
    with ExitStack() as running:
        running.callback(log.close)
        accounts = running.enter_context(authorized(TestClient(accounts_app), settings, "accounts"))
        catalog = running.enter_context(authorized(TestClient(catalog_app), settings, "catalog"))
        running.enter_context(TestClient(events_app))
        running.enter_context(TestClient(experiments_app))
        gateway = create_app(settings, transports=transports)
        client = running.enter_context(TestClient(gateway))
        yield Stack(settings, gateway, client, accounts, catalog, None)


def _form(visitor: Visitor, **fields: str) -> dict[str, str]:
    return {**fields, "csrf_token": visitor.csrf_token()}


def _row_ids(page: str) -> list[str]:
    return re.findall(r'<section class="row" data-row="([^"]+)"', page)


def test_admins_define_an_experiment_and_read_its_results(stack: Stack) -> None:
    admin = stack.admin()
    created = admin.post(
        "/admin/experiments",
        data=_form(admin, key="home-row-order", cells="control:5000\nnew-first:5000"),
    )
    assert created.status_code == 303, created.text
    listing = admin.get("/admin/experiments").text
    assert 'data-key="home-row-order" data-state="running"' in listing

    viewer = stack.viewer()
    assert viewer.get("/").status_code == 200  # exposes the viewer (logged as an event)
    page = admin.get(created.headers["location"])
    assert page.status_code == 200
    assert 'id="results-table"' in page.text and 'data-cell="new-first"' in page.text
    assert 'id="srm" data-mismatch="false"' in page.text

    api = admin.get("/api/admin/experiments/home-row-order/results").json()
    assert [c["cell"] for c in api["cells"]] == ["control", "new-first"]
    assert viewer.get("/api/admin/experiments").status_code == 403

    stopped = admin.post("/admin/experiments/home-row-order/stop", data=_form(admin))
    assert stopped.status_code == 303
    assert 'data-state="stopped"' in admin.get("/admin/experiments/home-row-order").text


def test_a_bad_definition_is_explained_on_the_page(stack: Stack) -> None:
    admin = stack.admin()
    response = admin.post(
        "/admin/experiments", data=_form(admin, key="Bad Key!", cells="a:5000\nb:4000")
    )
    assert response.status_code == 422
    assert "lower-case" in response.text


def test_the_home_rows_follow_the_members_cell(stack: Stack) -> None:
    admin = stack.admin()
    body = {"key": "home-row-order", "cells": [
        {"name": "control", "share": 1}, {"name": "genres-first", "share": 9999}]}  # fmt: skip
    assert admin.post("/api/admin/experiments", json=body).status_code == 201
    experiment = admin.get("/api/admin/experiments").json()[0]
    visitor = stack.visitor()
    email = new_email("exp")
    assert (
        visitor.post(
            "/api/auth/signup", json={"email": email, "password": PASSWORD, "plan": "basic"}
        ).status_code
        == 201
    )
    visitor.watch_as(visitor.first_profile_id())
    account = visitor.get("/api/me").json()["account"]["id"]
    cells = [Cell.model_validate(c) for c in experiment["cells"]]
    cell = allocate(experiment["salt"], cells, account)
    assert cell == "genres-first"  # 9999 of 10000 buckets

    title = admin.post("/api/admin/titles", json=SAMPLE_TITLES[0])
    assert title.status_code == 201, title.text
    publish(stack, int(title.json()["id"]))
    rows = _row_ids(visitor.get("/").text)
    assert rows == ["horror", "new"]  # the genre rows first, then the others


def test_the_cell_also_leads_the_personalized_rows() -> None:
    rows = [
        Row(kind=kind, key=f"{kind.value}-{n}", label=kind.value, items=[])
        for n, kind in enumerate(
            [RowKind.CONTINUE, RowKind.BECAUSE, RowKind.TOP10, RowKind.NEW, RowKind.GENRE,
             RowKind.GENRE]
        )
    ]  # fmt: skip

    def keys(ordered: list[Row]) -> list[str]:
        return [row.key for row in ordered]

    assert keys(led_by(rows, HOME_ROW_ORDERS["control"])) == keys(rows)
    assert keys(led_by(rows, HOME_ROW_ORDERS["new-first"]))[0] == "new-3"
    genres_first = keys(led_by(rows, HOME_ROW_ORDERS["genres-first"]))
    assert genres_first[:2] == ["genre-4", "genre-5"]
    assert genres_first[2:] == ["continue-0", "because-1", "top10-2", "new-3"]
