"""The experiments consumer's sink on both engines (a SQLite file, a PostgreSQL database):
first exposure wins, activity counts from the hour of first exposure, a replay changes
nothing; and a previous release's activity.sqlite (raw SQL) adopted with its rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.support.postgres import pooled_database
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.services.experiments.metrics import SERVICE, ExperimentSink, MemberActivity

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ExperimentSink]:
    if request.param == "sqlite":
        opened = ExperimentSink(f"sqlite:///{tmp_path / 'activity.sqlite'}")
        yield opened
        opened.close()
        return
    with pooled_database(SERVICE) as url:
        opened = ExperimentSink(url)
        yield opened
        opened.close()


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def _exposure(profile: int, account: int, cell: str, hours: float) -> dict[str, Any]:
    return {
        "type": "exposure",
        "event_id": uuid4().hex,
        "profile_id": profile,
        "account_id": account,
        "experiment": "abr",
        "cell": cell,
        "at": _at(hours),
    }


def _play(kind: str, profile: int, hours: float, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "event_id": uuid4().hex,
        "session_id": "session-0001",
        "profile_id": profile,
        "title_id": 1,
        "position_s": 1.0,
        "at": _at(hours),
        **fields,
    }


def _events(*items: dict[str, Any]) -> list[AnyEvent]:
    return [EVENT.validate_python(item) for item in items]


def test_members_count_from_their_first_exposure_and_replays_change_nothing(
    sink: ExperimentSink,
) -> None:
    block = _events(
        _play("play_start", 1, 0.5, startup_ms=900.0),  # before profile 1's exposure: not counted
        _exposure(1, 10, "bola", 1.2),
        _exposure(1, 10, "throughput", 3.0),  # shown again later: stays in its first cell
        _play("play_start", 1, 1.5, startup_ms=400.0),
        _play("play_start", 1, 2.5, startup_ms=600.0),
        _play("heartbeat", 1, 2.6),
        _play("rebuffer_end", 1, 2.7, stall_ms=1500.0),
        _exposure(2, 20, "throughput", 5.0),
        _play("heartbeat", 2, 9.0),
        _play("heartbeat", 3, 1.0),  # never exposed: in no result
    )
    assert sink.apply(block[:4]) + sink.apply(block[4:]) == len(block)
    assert sink.apply(block) == 0
    assert sink.replays() == len(block)
    assert sink.members("abr", until=None) == [
        MemberActivity(10, "bola", 2, 1, 1500.0, 1000.0, 2),
        MemberActivity(20, "throughput", 0, 1, 0.0, 0.0, 0),
    ]
    early = sink.members("abr", until=T0 + timedelta(hours=1, minutes=59))
    assert early[0] == MemberActivity(10, "bola", 1, 0, 0.0, 400.0, 1)
    assert early[1].heartbeats == 0
    assert sink.members("other", until=None) == []


_PREVIOUS_RELEASE = """
CREATE TABLE applied (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX applied_age ON applied (at);
CREATE TABLE replays (n INTEGER NOT NULL);
INSERT INTO replays VALUES (0);
CREATE TABLE exposures (
    experiment TEXT NOT NULL, profile_id INTEGER NOT NULL, account_id INTEGER NOT NULL,
    cell TEXT NOT NULL, first_hour INTEGER NOT NULL,
    PRIMARY KEY (experiment, profile_id)
) WITHOUT ROWID;
CREATE TABLE profile_hours (
    profile_id INTEGER NOT NULL, hour INTEGER NOT NULL, starts INTEGER NOT NULL DEFAULT 0,
    heartbeats INTEGER NOT NULL DEFAULT 0, stall_ms REAL NOT NULL DEFAULT 0,
    startup_ms REAL NOT NULL DEFAULT 0, startup_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (profile_id, hour)
) WITHOUT ROWID;
"""


def test_a_previous_release_file_is_adopted_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "experiments" / "activity.sqlite"
    path.parent.mkdir()
    hour = int(T0.timestamp()) // 3600
    db = sqlite3.connect(path)
    db.executescript(_PREVIOUS_RELEASE)
    db.execute("INSERT INTO exposures VALUES ('abr', 1, 10, 'bola', ?)", (hour,))
    db.execute("INSERT INTO profile_hours (profile_id, hour, starts) VALUES (1, ?, 2)", (hour,))
    db.commit()
    db.close()

    sink = ExperimentSink(f"sqlite:///{path}")
    try:
        sink.apply(_events(_play("play_start", 1, 0.1, startup_ms=500.0)))
        assert sink.members("abr", until=None) == [MemberActivity(10, "bola", 3, 0, 0.0, 500.0, 1)]
    finally:
        sink.close()
