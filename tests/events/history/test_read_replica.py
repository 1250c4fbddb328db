"""History's viewer reads (continue watching, resume points) from a real PostgreSQL streaming
replica of each shard (started here with pg_basebackup): the offload, read-your-writes for a
resume position while the replica lags, and the primary answering when the replica is gone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import text

from tests.events.stack import event
from tests.support.postgres import HOST, PORT, throwaway_database
from tests.support.replica import Replica, streaming_replica
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import HistorySettings, load_settings
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.core.read_replica import ReplicaReads
from vodstack.services.history.app import create_app
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.repository import ShardedHistory, ShardLayout

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = "?options=-csearch_path%3Dh_g{generation}_s{shard}"


def _event(kind: str, profile: int, title: int, position: float, minute: int) -> AnyEvent:
    fields = {"profile_id": profile, "title_id": title, "position_s": position}
    body = event(kind, **fields, duration_s=1000.0)
    return EVENT.validate_python({**body, "at": (T0 + timedelta(minutes=minute)).isoformat()})


def _reads(target: str) -> float:
    value = REGISTRY.get_sample_value(
        "vodstack_db_reads_total", {"service": "history", "target": target}
    )
    return value or 0.0


def _open(root: Path, database: str, replica: Replica, wait_s: float) -> ShardedHistory:
    layout = ShardLayout(
        root,
        2,
        64,
        0.95,
        url_template=f"postgresql+psycopg://postgres@{HOST}:{PORT}/{database}{SCHEMA}",
        replica_url_template=replica.url(database) + SCHEMA,
        replica_wait_s=wait_s,
    )
    # No look-aside cache (ttl 0): every read asks a shard, so every read is routed.
    return ShardedHistory(layout, LookAsideCache(ttl_s=0))


def _position(history: ShardedHistory, profile: int, title: int) -> float:
    found = history.resume(profile, title)
    assert found is not None
    return found.position_s


def _positions_scans(conn: psycopg.Connection[Any]) -> int:
    """Scans of every shard's `positions` the server itself ran (each server counts its own)."""
    query = "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0) "
    query += "FROM pg_stat_user_tables WHERE relname = 'positions'"
    with conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _primary(database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(host=HOST, port=PORT, user="postgres", dbname=database)


def _pause(conn: psycopg.Connection[Any]) -> None:
    """Pause the replica's replay, and wait until it has (the pause is a request)."""
    conn.execute("SELECT pg_wal_replay_pause()")

    def paused() -> bool:
        row = conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()
        return row is not None and row[0] == "paused"

    eventually(paused, timeout_s=30, message="the replica never paused its replay")


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with streaming_replica() as running:
        yield running


@contextmanager
def _replicated(replica: Replica) -> Iterator[str]:
    with throwaway_database() as url:
        name = url.rsplit("/", 1)[1]
        replica.wait_for_database(name)
        yield name


@pytest.fixture
def database(replica: Replica) -> Iterator[str]:
    """A throw-away database on the primary, once the replica has it too."""
    with _replicated(replica) as name:
        yield name


@pytest.fixture
def open_history_with(tmp_path: Path, replica: Replica, database: str) -> Iterator[Any]:
    opened: list[ShardedHistory] = []

    def make(wait_s: float) -> ShardedHistory:
        opened.append(_open(tmp_path, database, replica, wait_s))
        return opened[-1]

    yield make
    for history in opened:
        history.close()


def test_continue_watching_and_resume_points_are_served_by_the_replica(
    open_history_with: Any, replica: Replica, database: str
) -> None:
    history = open_history_with(5.0)
    history.apply([_event("heartbeat", p, 10 + p, 60 + p, p) for p in range(1, 11)])
    assert _position(history, 1, 11) == 61  # the first read waits for the replay, once
    on_replica, lagging = _reads("replica"), _reads("primary_replica_lagging")
    replica_scans = _positions_scans(replica.connect(database))
    primary_scans = _positions_scans(_primary(database))

    for profile in range(1, 11):
        for _ in range(2):
            row = history.continue_watching(profile)
            assert [(p.title_id, p.position_s) for p in row] == [(10 + profile, 60 + profile)]
            assert _position(history, profile, 10 + profile) == 60 + profile
    history.close()  # closed pools flush their statistics

    assert _reads("replica") - on_replica == 40
    assert _reads("primary_replica_lagging") == lagging
    # The replica ran the 40 reads' scans; the primary at most what was pending from the writes.
    eventually(
        lambda: _positions_scans(replica.connect(database)) - replica_scans >= 40,
        timeout_s=30,
        message="the replica never counted the reads' scans",
    )
    assert _positions_scans(_primary(database)) - primary_scans < 20


def test_a_viewer_who_stops_and_reopens_sees_the_new_resume_point_while_the_replica_lags(
    open_history_with: Any, replica: Replica
) -> None:
    history = open_history_with(0.2)
    history.apply([_event("heartbeat", 1, 10, 100, 0), _event("heartbeat", 2, 10, 50, 0)])
    assert _position(history, 1, 10) == 100 and _position(history, 2, 10) == 50
    with replica.connect() as conn:
        _pause(conn)
    try:
        lagging, on_replica = _reads("primary_replica_lagging"), _reads("replica")
        history.apply([_event("stop", 1, 10, 250, 1)])

        # The replica has not replayed the stop: profile 1's reads go to the primary.
        assert _position(history, 1, 10) == 250
        assert [p.position_s for p in history.continue_watching(1)] == [250]
        assert _reads("primary_replica_lagging") == lagging + 2
        # Profile 2 wrote nothing since the replica's replay: its read stays on the replica.
        assert _position(history, 2, 10) == 50
        assert _reads("replica") == on_replica + 1
    finally:
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    served = _reads("replica")
    eventually(lambda: _position(history, 1, 10) == 250 and _reads("replica") > served)


def test_a_resume_read_waits_for_the_replica_to_replay_the_stop(
    open_history_with: Any, replica: Replica
) -> None:
    history = open_history_with(30.0)
    history.apply([_event("heartbeat", 1, 10, 100, 0)])
    assert _position(history, 1, 10) == 100
    with replica.connect() as conn:
        _pause(conn)

    def replay() -> None:
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    resume = threading.Timer(0.5, replay)
    try:
        history.apply([_event("stop", 1, 10, 300, 1)])
        lagging, served = _reads("primary_replica_lagging"), _reads("replica")
        resume.start()

        assert _position(history, 1, 10) == 300
        assert _reads("replica") == served + 1
        assert _reads("primary_replica_lagging") == lagging
    finally:
        if resume.ident is not None:
            resume.join()
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def test_a_stopped_replica_sends_reads_to_the_primary(tmp_path: Path) -> None:
    # A replica of its own, stopped halfway through (the module's stays up for the others).
    with ExitStack() as stack:
        running = ExitStack()
        stack.callback(running.close)  # last: stops the replica if the test failed before
        own = running.enter_context(streaming_replica())
        database = stack.enter_context(_replicated(own))
        history = _open(tmp_path, database, own, 30.0)
        stack.callback(history.close)
        history.apply([_event("heartbeat", 1, 10, 100, 0)])
        history.apply([_event("stop", 1, 10, 420, 1)])
        served = _reads("replica")
        assert _position(history, 1, 10) == 420
        assert _reads("replica") == served + 1

        running.close()  # the replica server stops; the shards' pooled connections to it break
        down = _reads("primary_replica_down")
        assert _position(history, 1, 10) == 420
        assert [p.position_s for p in history.continue_watching(1)] == [420]
        assert _reads("primary_replica_down") == down + 2


def test_a_replica_needs_the_shards_on_postgresql() -> None:
    with pytest.raises(ValidationError, match="needs the shards on PostgreSQL"):
        HistorySettings(replica_url_template="postgresql+psycopg://r/h_g{generation}_s{shard}")
    with pytest.raises(ValidationError, match="both"):
        HistorySettings(
            shard_url_template="postgresql+psycopg://p/h_g{generation}_s{shard}",
            replica_url_template="postgresql+psycopg://r/h_{shard}",
        )


def test_the_service_reads_its_shards_replicas_and_counts_them_on_metrics(
    tmp_path: Path, replica: Replica, database: str
) -> None:
    primary = f"postgresql+psycopg://postgres@{HOST}:{PORT}/{database}{SCHEMA}"
    settings = with_secrets(
        load_settings(
            data_dir=tmp_path,
            database_replica_wait_s=30.0,
            history={
                "shards": 2,
                "shard_url_template": primary,
                "replica_url_template": replica.url(database) + SCHEMA,
            },
        )
    )
    with TestClient(create_app(settings)) as raw:
        client = authorized(raw, settings, "history")
        history: ShardedHistory = raw.app.state.history  # type: ignore[attr-defined]
        replicas = [shard.replica for shard in history.current.shards.values()]
        assert [r.url.port for r in replicas if r is not None] == [replica.port] * 2
        history.apply([_event("stop", 5, 10, 420, 0)])
        served = _reads("replica")

        response = client.get("/v1/profiles/5/titles/10")
        assert response.status_code == 200 and response.json()["position_s"] == 420
        assert _reads("replica") == served + 1
        metrics = raw.get("/metrics").text
        assert 'vodstack_db_reads_total{service="history",target="replica"}' in metrics


def test_too_many_unreplayed_profiles_hold_back_every_read_never_none(
    replica: Replica, database: str
) -> None:
    """The per-profile write positions are bounded: past `max_keys` with the replica stuck, they
    fold into one position every read waits for (stricter, never staler)."""
    primary = make_engine(f"postgresql+psycopg://postgres@{HOST}:{PORT}/{database}")
    standby = make_engine(replica.url(database))
    reads = ReplicaReads(
        "history", make_sessionmaker(primary), make_sessionmaker(standby), wait_s=0.1, max_keys=4
    )
    with primary.begin() as conn:
        conn.execute(text("CREATE TABLE marks (n integer)"))
    try:
        assert reads.run(lambda on_replica: on_replica, 99)  # nothing written: the replica
        with replica.connect() as conn:
            _pause(conn)
        try:
            for profile in range(1, 4):
                with primary.begin() as conn:  # a write, so the WAL position moves
                    conn.execute(text("INSERT INTO marks VALUES (:n)"), {"n": profile})
                reads.wrote([profile])
            # Three keys (within the bound): another profile's read stays on the replica.
            assert reads.run(lambda on_replica: on_replica, 99)
            reads.wrote([4, 5])  # five keys, none replayed: folded into one position
            assert not reads.run(lambda on_replica: on_replica, 99)
        finally:
            with replica.connect() as conn:
                conn.execute("SELECT pg_wal_replay_resume()")
        eventually(lambda: reads.run(lambda on_replica: on_replica, 99), timeout_s=30)
    finally:
        primary.dispose()
        standby.dispose()
