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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.gateway import Stack, Visitor, cheap_passwords, make_settings
from tests.support.ports import free_port
from tests.support.service_tokens import authorized, credentials
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
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
def gateway_with_real_catalog(settings: Settings) -> Iterator[Stack]:
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    with authorized(TestClient(accounts_app), settings, "accounts") as accounts:
        transports = {"accounts": httpx.ASGITransport(app=accounts_app)}
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
            assert _fresh_home(viewer)
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
