"""The consumers' sinks on both engines (a SQLite file, a PostgreSQL database): counts, replays
absorbed by event id, retention, the QoE reads; and a previous release's SQLite file, made with
the raw SQL of `SqliteSink`, adopted with its rows."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.events.stack import event
from tests.support.postgres import pooled_database
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.contracts.telemetry import Split
from vodstack.events.consumers.popularity import PopularitySink
from vodstack.events.consumers.telemetry import TelemetrySink
from vodstack.services.telemetry.series import series

HOUR = 500_000  # hours since the epoch
AT = datetime.fromtimestamp(HOUR * 3600 + 60, UTC)
UrlOf = Callable[[str], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UrlOf]:
    """A fresh database for a sink of `service`, on the parametrized engine."""
    with ExitStack() as stack:

        def url(service: str) -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / service}.sqlite"
            return stack.enter_context(pooled_database(service))

        yield url


def _events(*items: dict[str, Any]) -> list[AnyEvent]:
    return [EVENT.validate_python({"profile_id": 1, **i, "at": AT.isoformat()}) for i in items]


def test_plays_are_counted_and_a_replayed_block_changes_nothing(url_of: UrlOf) -> None:
    sink = PopularitySink(url_of("popularity"))
    try:
        block = _events(
            *(event("play_start", title_id=7, region="eu", profile_id=p) for p in range(1, 4)),
            event("play_start", title_id=7, region="us"),
            event("heartbeat", title_id=7),
        )
        assert sink.apply(block) == 5
        assert sink.apply(block) == 0  # a crash before the log commit: delivered again
        assert sink.apply(block[:1] * 2) == 0
        assert sink.plays() == [(7, "eu", HOUR, 3), (7, "us", HOUR, 1)]
        assert sink.plays(since_hour=HOUR + 1) == []
        assert sink.replays() == 7
        assert sink.forget_applied(older_than=0) == 0  # recorded just now: kept
        assert sink.forget_applied(older_than=time.time() + 1) == 5
    finally:
        sink.close()


def test_qoe_series_and_retention(url_of: UrlOf) -> None:
    sink = TelemetrySink(url_of("telemetry"), bucket_s=10)
    try:
        starts = [300.0, 400.0, 700.0, 900.0, 3000.0]
        block = _events(
            *(event("play_start", startup_ms=ms, region="eu") for ms in starts),
            *(event("heartbeat", bandwidth_kbps=kbps, region="eu") for kbps in (3000, 5000)),
            event("rebuffer_start", region="eu"),
            event("rebuffer_end", stall_ms=2000, region="eu"),
            event("error", region="us"),
            event("play_start", startup_ms=100, region="us"),
        )
        # Two blocks sum like one: the upsert adds to the stored counters.
        assert sink.apply(block[:4]) + sink.apply(block[4:]) == len(block)
        assert sink.apply(block) == 0
        points = {p.split: p for p in series(sink, 0, Split.REGION, heartbeat_s=10.0)}
        eu, us = points["eu"], points["us"]
        assert eu.starts_per_s == 0.5  # 5 starts in a 10 s bucket
        assert (eu.startup_p50_ms, eu.startup_p90_ms) == (1000.0, 4000.0)
        assert eu.avg_bitrate_kbps == 4000.0
        assert eu.rebuffer_ratio == 0.1  # 2 s stalled over 2 heartbeats x 10 s watched
        assert (us.errors, us.startup_p50_ms, us.rebuffer_ratio) == (1, 250.0, None)
        (whole,) = series(sink, 0, Split.NONE, heartbeat_s=10.0)
        assert (whole.split, whole.starts_per_s) == ("all", 0.6)
        assert {p.split for p in series(sink, 0, Split.TITLE, heartbeat_s=10.0)} == {"1"}

        assert sink.trim(older_than=AT.timestamp() + 3600) > 0
        assert series(sink, 0, Split.NONE, heartbeat_s=10.0) == []
    finally:
        sink.close()


# The schema the previous release's `SqliteSink` subclasses made with raw SQL.
_PREVIOUS_RELEASE = """
CREATE TABLE applied (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX applied_age ON applied (at);
CREATE TABLE replays (n INTEGER NOT NULL);
INSERT INTO replays VALUES (3);
CREATE TABLE plays (
    title_id INTEGER NOT NULL, region TEXT NOT NULL, hour INTEGER NOT NULL,
    plays INTEGER NOT NULL, PRIMARY KEY (title_id, region, hour)
) WITHOUT ROWID;
CREATE TABLE counters (
    bucket INTEGER NOT NULL, metric TEXT NOT NULL, region TEXT NOT NULL, edge TEXT NOT NULL,
    abr TEXT NOT NULL, title_id INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (bucket, metric, region, edge, abr, title_id)
) WITHOUT ROWID;
"""


def test_a_previous_release_file_is_adopted_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "telemetry" / "popularity.sqlite"
    path.parent.mkdir()
    seen = _events(event("play_start", title_id=2, region="eu"))[0]
    db = sqlite3.connect(path)
    db.executescript(_PREVIOUS_RELEASE)
    db.execute("INSERT INTO plays VALUES (2, 'eu', ?, 4)", (HOUR,))
    db.execute("INSERT INTO applied VALUES (?, ?)", (f"1:{seen.event_id}", time.time()))
    db.commit()
    db.close()

    sink = PopularitySink(f"sqlite:///{path}")
    try:
        assert sink.plays() == [(2, "eu", HOUR, 4)]
        assert sink.replays() == 3
        assert sink.apply([seen]) == 0  # applied by the previous release: still recognised
        assert sink.apply(_events(event("play_start", title_id=2, region="eu"))) == 1
        assert sink.plays() == [(2, "eu", HOUR, 5)]
    finally:
        sink.close()
