"""Catalog browse and search read from a real PostgreSQL streaming replica (started here with
pg_basebackup), and the writer still reads its own writes when the replica lags."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.support.catalog import title_body
from tests.support.ports import free_port
from tests.support.postgres import throwaway_database
from tests.support.replica import Replica, streaming_replica
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.services.catalog.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with streaming_replica() as running:
        yield running


@pytest.fixture
def database(replica: Replica) -> Iterator[str]:
    """A throw-away database on the primary, once the replica has it too."""
    with throwaway_database() as url:
        name = url.rsplit("/", 1)[1]
        replica.wait_for_database(name)
        yield name


def _settings(tmp_path: Path, primary_url: str, replica_url: str, wait_s: float) -> Settings:
    return with_secrets(
        load_settings(
            data_dir=tmp_path,
            database_urls={"catalog": primary_url},
            database_replica_urls={"catalog": replica_url},
            database_replica_wait_s=wait_s,
        )
    )


@pytest.fixture
def client_for(tmp_path: Path, replica: Replica, database: str) -> Iterator[Any]:
    """Makes a catalog client (primary + replica) with a replay wait; closed by `.close()` or
    at the end of the test."""
    with ExitStack() as stack:

        def make(wait_s: float) -> TestClient:
            primary = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
            settings = _settings(tmp_path, primary, replica.url(database), wait_s)
            client = authorized(
                stack.enter_context(TestClient(create_app(settings))), settings, "catalog"
            )
            client.close_app = stack.close
            return client

        yield make


def _reads(target: str) -> float:
    value = REGISTRY.get_sample_value(
        "vodstack_db_reads_total", {"service": "catalog", "target": target}
    )
    return value or 0.0


def _create(client: TestClient, name: str) -> int:
    response = client.post("/v1/titles", json=title_body(name=name))
    assert response.status_code == 201, response.text
    title_id = int(response.json()["id"])
    body = {"availability": "available", "asset_version": "v1"}
    assert client.put(f"/v1/titles/{title_id}/availability", json=body).status_code == 200
    return title_id


def _names(client: TestClient) -> list[str]:
    response = client.get("/v1/titles", params={"maturity": "adult", "limit": 50})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def _titles_scans(replica: Replica | None, database: str) -> int:
    """Index + sequential scans of `titles` the server itself ran (each server counts its own)."""
    query = "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
    query += "WHERE relname = 'titles'"
    if replica is None:
        conn = psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database)
    else:
        conn = replica.connect(database)
    with conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def test_listings_and_search_are_served_by_the_replica(
    client_for: Any, replica: Replica, database: str
) -> None:
    client = client_for(5.0)
    _create(client, "Harbor Lights")
    assert _names(client) == ["Harbor Lights"]  # the first read waits for replay, once
    on_replica, on_primary = _reads("replica"), _reads("primary_replica_lagging")
    primary_scans = _titles_scans(None, database)

    for _ in range(20):
        assert _names(client) == ["Harbor Lights"]
        found = client.get("/v1/search", params={"q": "harb", "maturity": "adult"}).json()
        assert [item["name"] for item in found["items"]] == ["Harbor Lights"]
    client.close_app()  # closed pools flush their statistics

    assert _reads("replica") - on_replica == 40
    assert _reads("primary_replica_lagging") == on_primary
    # Every listing scans `titles` twice (count, page) and every search once (summaries): the
    # replica ran them; the primary only what was pending before (the writes' own scans).
    eventually(
        lambda: _titles_scans(replica, database) >= 60,
        timeout_s=30,
        message="the replica never counted the listings' scans",
    )
    assert _titles_scans(None, database) - primary_scans < 10


def test_the_writer_reads_its_write_while_the_replica_is_paused(
    client_for: Any, replica: Replica, database: str
) -> None:
    client = client_for(0.2)
    _create(client, "First")
    assert _names(client) == ["First"]
    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        lagging = _reads("primary_replica_lagging")
        _create(client, "Second")

        # The replica has not replayed the write: the read goes to the primary, and sees it.
        assert sorted(_names(client)) == ["First", "Second"]
        assert _reads("primary_replica_lagging") > lagging
    finally:
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    served = _reads("replica")
    eventually(lambda: sorted(_names(client)) == ["First", "Second"] and _reads("replica") > served)


def test_a_read_waits_for_the_replica_to_catch_up(
    client_for: Any, replica: Replica, database: str
) -> None:
    client = client_for(30.0)
    _create(client, "First")
    assert _names(client) == ["First"]
    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")

    def replay() -> None:
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    resume = threading.Timer(0.5, replay)
    try:
        _create(client, "Second")
        lagging, served = _reads("primary_replica_lagging"), _reads("replica")
        resume.start()

        assert sorted(_names(client)) == ["First", "Second"]
        assert _reads("replica") == served + 1
        assert _reads("primary_replica_lagging") == lagging
    finally:
        if resume.ident is not None:
            resume.join()
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_a_replica_that_does_not_answer_sends_reads_to_the_primary(tmp_path: Path) -> None:
    with throwaway_database() as primary:
        nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres"
        settings = _settings(tmp_path, primary, nowhere, 0.2)
        with TestClient(create_app(settings)) as raw:
            client = authorized(raw, settings, "catalog")
            down = _reads("primary_replica_down")
            _create(client, "Still Here")

            assert _names(client) == ["Still Here"]
            assert _reads("primary_replica_down") > down
