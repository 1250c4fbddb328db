"""The home page with the catalog killed and with it frozen (SIGSTOP): rows from the last good
answer, marked possibly stale, instead of an error; fresh rows again once it is back.

The catalog is a real process on a real port; the gateway (in-process) reaches it through the
resilient transport over the keep-alive transport, as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.gateway import Stack, Visitor, cheap_passwords, make_settings
from tests.support.ports import free_port
from tests.support.service_tokens import authorized, credentials
from tests.support.waiting import eventually
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.config.settings import Settings
from vodstack.core import deadline
from vodstack.core.processes import child_dies_with_us
from vodstack.core.service_auth import ServiceAuth
from vodstack.gateway.app import create_app
from vodstack.services.accounts.app import create_app as create_accounts_app

pytestmark = pytest.mark.slow

TITLE = "Lighthouse at Dusk"
STALE_NOTICE = 'id="stale-rows"'
CATALOG_POLICY = {
    "timeout_s": 1.0,
    "breaker": {"min_calls": 5, "open_s": 1.0, "probes": 1},
}


@contextmanager
def catalog_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    settings_file = settings.data_dir / "settings.json"
    settings_file.write_text(settings.dump_for_child())
    command = [sys.executable, "-m", "vodstack", "serve", "catalog"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--settings-file", str(settings_file)],
            stdout=out,
            stderr=out,
            preexec_fn=child_dies_with_us(),
        )
    try:
        url = settings.service_url("catalog")
        eventually(lambda: _answers(url), timeout_s=60, message="the catalog did not start")
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        process.wait(30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _publish_title(settings: Settings) -> None:
    auth = ServiceAuth(credentials(settings), "catalog")
    with httpx.Client(base_url=settings.service_url("catalog"), auth=auth, timeout=10) as client:
        body = {"name": TITLE, "year": 2020, "maturity": "teen", "genres": ["Drama"]}
        created = client.post("/v1/titles", json={**body, "synopsis": "Waves.", "duration_s": 60})
        assert created.status_code == 201, created.text
        published = client.put(
            f"/v1/titles/{created.json()['id']}/availability",
            json={"availability": "available", "asset_version": "v1"},
        )
        assert published.status_code == 200, published.text


@contextmanager
def gateway_with_real_catalog(
    settings: Settings, catalog_transport: httpx.AsyncBaseTransport | None = None
) -> Iterator[Stack]:
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    with authorized(TestClient(accounts_app), settings, "accounts") as accounts:
        transports: dict[str, httpx.AsyncBaseTransport] = {
            "accounts": httpx.ASGITransport(app=accounts_app)
        }
        if catalog_transport is not None:
            transports["catalog"] = catalog_transport
        gateway = create_app(settings, transports=transports)
        with TestClient(gateway) as client:
            yield Stack(settings, gateway, client, accounts, accounts, None)


def _fresh_home(viewer: Visitor) -> bool:
    page = viewer.get("/")
    return page.status_code == 200 and TITLE in page.text and STALE_NOTICE not in page.text


@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_home_rows_come_from_the_last_good_answer_while_the_catalog_is_down(
    tmp_path: Path, fault: str
) -> None:
    settings = make_settings(
        tmp_path,
        ports={"catalog": free_port()},
        seed_demo_data=False,
        resilience={"upstreams": {"catalog": CATALOG_POLICY}},
    )
    with gateway_with_real_catalog(settings) as stack:
        viewer = stack.viewer()
        with catalog_process(settings, tmp_path / "catalog.log") as catalog:
            _publish_title(settings)
            # A just-started catalog's first answers can outlast a page's budget on a loaded host
            # (a full run at load 10 timed one out): wait until a page has a good answer to keep.
            eventually(lambda: _fresh_home(viewer), timeout_s=30, message="no fresh home page")
            listing = viewer.get("/api/titles")
            assert listing.status_code == 200 and "x-vodstack-stale" not in listing.headers
            if fault == "killed":
                catalog.kill()
                catalog.wait(30)
            else:
                os.kill(catalog.pid, signal.SIGSTOP)
            for _ in range(8):  # the first few wait for the timeout, then the breaker opens
                page = viewer.get("/")
                assert page.status_code == 200, page.text
                assert TITLE in page.text and STALE_NOTICE in page.text
            listing = viewer.get("/api/titles")
            assert listing.status_code == 200 and listing.headers["x-vodstack-stale"] == "1"
            assert TITLE in listing.text
            metrics = viewer.get("/metrics").text
            assert 'vodstack_circuit_state{upstream="catalog"} 2.0' in metrics
            if fault == "frozen":
                os.kill(catalog.pid, signal.SIGCONT)
                eventually(lambda: _fresh_home(viewer), timeout_s=30, message="rows stayed stale")
        if fault == "killed":
            with catalog_process(settings, tmp_path / "catalog.log"):
                eventually(lambda: _fresh_home(viewer), timeout_s=30, message="rows stayed stale")


@dataclass
class _Attempt:
    budget_ms: int  # what the gateway sent along in the deadline header
    sent: float
    ended: float | None = None
    answered: bool = False


class _Recording(httpx.AsyncBaseTransport):
    """The real keep-alive transport under the resilient one, noting each attempt's budget and
    how it ended (answered, or cancelled by the gateway)."""

    def __init__(self) -> None:
        self.inner = KeepAliveTransport()
        self.attempts: list[_Attempt] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = _Attempt(int(request.headers[deadline.DEADLINE_HEADER]), time.monotonic())
        self.attempts.append(attempt)
        try:
            response = await self.inner.handle_async_request(request)
            attempt.answered = True
            return response
        finally:
            attempt.ended = time.monotonic()

    async def aclose(self) -> None:
        await self.inner.aclose()


PAGE_BUDGET_S = 2.0
RENDER_RESERVE_S = 0.5


def test_with_the_catalog_frozen_the_home_pages_calls_stop_a_render_reserve_before_its_budget(
    tmp_path: Path,
) -> None:
    """The page budget (issue 15, 9c): the page's catalog calls get the page's timeout less the
    render reserve, counted from its arrival, and are cancelled then (the catalog's own timeout
    is far longer here, so only the page budget can stop them); the rows come from the last
    good answer. Asserted on the budgets sent and on the calls' ends, not on wall-clock
    limits."""
    settings = make_settings(
        tmp_path,
        ports={"catalog": free_port()},
        seed_demo_data=False,
        upstream_timeout_s=PAGE_BUDGET_S,
        resilience={
            "page_render_reserve_s": RENDER_RESERVE_S,
            # No breaker opening and no catalog timeout of its own: every page meets the freeze.
            "upstreams": {"catalog": {"timeout_s": 60.0, "breaker": {"min_calls": 1000}}},
        },
    )
    recording = _Recording()
    with gateway_with_real_catalog(settings, recording) as stack:
        viewer = stack.viewer()
        with catalog_process(settings, tmp_path / "catalog.log") as catalog:
            _publish_title(settings)
            # A just-started catalog's first answers can outlast a page's budget on a loaded host
            # (a full run at load 10 timed one out): wait until a page has a good answer to keep.
            eventually(lambda: _fresh_home(viewer), timeout_s=30, message="no fresh home page")
            os.kill(catalog.pid, signal.SIGSTOP)
            before = len(recording.attempts)
            for _ in range(3):
                page = viewer.get("/")
                assert page.status_code == 200, page.text
                assert TITLE in page.text and STALE_NOTICE in page.text
            frozen = recording.attempts[before:]
    calls_budget_ms = (PAGE_BUDGET_S - RENDER_RESERVE_S) * 1000
    assert frozen, "the pages called the catalog"
    assert all(a.budget_ms <= calls_budget_ms for a in frozen), [a.budget_ms for a in frozen]
    # None was answered: each ended when the gateway cancelled it, at its budget, not before
    # (the header rounds the budget down to a millisecond; its timer began just before `sent`).
    assert not any(a.answered for a in frozen)
    assert all(
        a.ended is not None and a.ended - a.sent >= a.budget_ms / 1000 - 0.01 for a in frozen
    )
