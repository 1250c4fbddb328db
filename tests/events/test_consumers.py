"""Consumers over the log (both backends): idempotent sinks, dead letters, QoE figures."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.events.stack import event
from tests.support.waiting import eventually
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.contracts.telemetry import Split
from vodstack.events.consumer import Consumer
from vodstack.events.consumers.popularity import PopularitySink
from vodstack.events.consumers.telemetry import TelemetrySink
from vodstack.events.log import EventLog
from vodstack.services.telemetry.series import series

HOUR = 500_000  # hours since the epoch
AT = datetime.fromtimestamp(HOUR * 3600 + 60, UTC)


def _file(tmp_path: Path, name: str) -> str:
    """A SQLite file's URL (the sinks on PostgreSQL too: tests/events/test_sink_engines.py)."""
    return f"sqlite:///{tmp_path / name}"


def _append(event_log: EventLog, *events: dict[str, Any]) -> None:
    for item in events:
        parsed = EVENT.validate_python({"profile_id": 1, **item, "at": AT.isoformat()})
        event_log.append(str(parsed.profile_id), parsed.model_dump_json().encode())


def _drain(consumer: Consumer) -> None:
    while consumer.step():
        pass


def test_plays_are_counted_per_title_region_and_hour(event_log: EventLog, tmp_path: Path) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    _append(
        event_log,
        *(event("play_start", title_id=7, region="eu", profile_id=p) for p in range(1, 4)),
    )
    _append(event_log, event("play_start", title_id=7, region="us"), event("heartbeat", title_id=7))
    _drain(Consumer(event_log, "popularity", sink, batch=2))
    assert sink.plays() == [(7, "eu", HOUR, 3), (7, "us", HOUR, 1)]
    assert event_log.lag("popularity") == 0


def test_a_replayed_log_changes_nothing(event_log: EventLog, tmp_path: Path) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    _append(event_log, *(event("play_start", title_id=2, region="eu") for _ in range(10)))
    consumer = Consumer(event_log, "popularity", sink)
    _drain(consumer)
    for partition in range(event_log.partitions):  # as after a crash before the commit
        event_log.commit("popularity", partition, 0)
    _drain(consumer)
    assert sink.plays() == [(2, "eu", HOUR, 10)]
    assert sink.replays() == 10


def test_a_poisonous_record_is_dead_lettered_and_the_partition_moves_on(
    event_log: EventLog, tmp_path: Path
) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    event_log.append("1", b'{"type": "play_start", "oops": true}')
    _append(event_log, event("play_start", title_id=3, region="eu"))
    _drain(Consumer(event_log, "popularity", sink))
    assert sink.plays() == [(3, "eu", HOUR, 1)]
    (letter,) = event_log.dead_letters()
    assert letter.group == "popularity"
    assert "not a valid event" in letter.reason
    assert json.loads(letter.record.payload)["oops"] is True


def test_qoe_series_split_by_region(event_log: EventLog, tmp_path: Path) -> None:
    sink = TelemetrySink(_file(tmp_path, "series.sqlite"), bucket_s=10)
    starts = [300.0, 400.0, 700.0, 900.0, 3000.0]
    _append(event_log, *(event("play_start", startup_ms=ms, region="eu") for ms in starts))
    _append(
        event_log, *(event("heartbeat", bandwidth_kbps=kbps, region="eu") for kbps in (3000, 5000))
    )
    _append(
        event_log,
        event("rebuffer_start", region="eu"),
        event("rebuffer_end", stall_ms=2000, region="eu"),
    )
    _append(
        event_log, event("error", region="us"), event("play_start", startup_ms=100, region="us")
    )
    _drain(Consumer(event_log, "telemetry", sink))
    points = {p.split: p for p in series(sink, 0, Split.REGION, heartbeat_s=10.0)}
    eu, us = points["eu"], points["us"]
    assert eu.starts_per_s == 0.5  # 5 starts in a 10 s bucket
    assert (eu.startup_p50_ms, eu.startup_p90_ms) == (1000.0, 4000.0)
    assert eu.avg_bitrate_kbps == 4000.0
    assert eu.rebuffer_ratio == 0.1  # 2 s stalled over 2 heartbeats x 10 s watched
    assert (us.errors, us.startup_p50_ms, us.rebuffer_ratio) == (1, 250.0, None)
    (whole,) = series(sink, 0, Split.NONE, heartbeat_s=10.0)
    assert whole.starts_per_s == 0.6


def test_retention_drops_old_buckets_and_unreplayable_applied_ids(
    event_log: EventLog, tmp_path: Path
) -> None:
    sink = TelemetrySink(_file(tmp_path, "series.sqlite"), bucket_s=10)
    _append(event_log, event("play_start", region="eu"))
    _drain(Consumer(event_log, "telemetry", sink))
    assert series(sink, 0, Split.NONE, heartbeat_s=10.0)
    assert sink.forget_applied(older_than=0) == 0  # recorded just now: kept
    assert sink.trim(older_than=AT.timestamp() + 3600) > 0
    assert series(sink, 0, Split.NONE, heartbeat_s=10.0) == []
    assert sink.forget_applied(older_than=time.time() + 1) == 1


class FlakySink:
    """A sink whose database is down for its first `failures` batches."""

    def __init__(self, inner: PopularitySink, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def apply(self, events: Sequence[AnyEvent]) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return self.inner.apply(events)


def test_a_failing_sink_is_retried_and_nothing_is_skipped(
    event_log: EventLog, tmp_path: Path
) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    _append(event_log, *(event("play_start", title_id=4, region="eu") for _ in range(5)))
    consumer = Consumer(event_log, "popularity", FlakySink(sink, failures=2), idle_s=0.01)
    consumer.start()
    eventually(
        lambda: event_log.lag("popularity") == 0,
        timeout_s=30,
        interval_s=0.02,
        message="the consumer never recovered",
    )
    consumer.stop()
    assert sink.plays() == [(4, "eu", HOUR, 5)]


def test_a_block_spans_partitions_and_a_poisonous_record_in_it(
    event_log: EventLog, tmp_path: Path
) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    _append(
        event_log, *(event("play_start", title_id=5, region="eu", profile_id=p) for p in (1, 2))
    )
    event_log.append("3", b'{"type": "play_start", "event_id": "x"')  # not even JSON
    _append(
        event_log, *(event("play_start", title_id=5, region="eu", profile_id=p) for p in (4, 5))
    )
    consumer = Consumer(event_log, "popularity", sink)
    assert consumer.step() == 5  # every partition in one step
    assert consumer.step() == 0
    assert sink.plays() == [(5, "eu", HOUR, 4)]
    assert [letter.record.key for letter in event_log.dead_letters()] == ["3"]
    assert event_log.lag("popularity") == 0


def test_an_id_twice_in_one_block_counts_once(event_log: EventLog, tmp_path: Path) -> None:
    sink = PopularitySink(_file(tmp_path, "popularity.sqlite"))
    again = event("play_start", title_id=6, region="eu")
    _append(event_log, again, again, event("play_start", title_id=6, region="eu"))
    _drain(Consumer(event_log, "popularity", sink))
    assert sink.plays() == [(6, "eu", HOUR, 2)]
    assert sink.replays() == 1


def test_a_block_sums_to_what_one_event_at_a_time_gives(
    event_log: EventLog, tmp_path: Path
) -> None:
    items = [
        event("play_start", startup_ms=100.0 * n, region="eu", edge=f"e{n % 2}", title_id=n % 3 + 1)
        for n in range(1, 13)
    ]
    items += [event("heartbeat", bandwidth_kbps=1000.0 + n, region="us") for n in range(20)]
    items += [event("rebuffer_end", stall_ms=250.0, region="eu", abr="bola") for _ in range(3)]
    _append(event_log, *items)
    block = TelemetrySink(_file(tmp_path, "block.sqlite"), bucket_s=10)
    one_by_one = TelemetrySink(_file(tmp_path, "one.sqlite"), bucket_s=10)
    _drain(Consumer(event_log, "block", block))
    _drain(Consumer(event_log, "one", one_by_one, batch=1))
    sql = "SELECT * FROM counters ORDER BY bucket, metric, region, edge, abr, title_id"
    assert block.read(sql) == one_by_one.read(sql)
    assert len(block.read(sql)) > 10


class PriorityProbe:
    """A sink that notes the nice value of the thread applying the events."""

    def __init__(self, inner: PopularitySink) -> None:
        self.inner = inner
        self.nice: list[int] = []

    def apply(self, events: Sequence[AnyEvent]) -> int:
        self.nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return self.inner.apply(events)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_the_consumer_works_below_the_request_threads(event_log: EventLog, tmp_path: Path) -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    probe = PriorityProbe(PopularitySink(_file(tmp_path, "popularity.sqlite")))
    _append(event_log, event("play_start", title_id=3, region="eu"))
    consumer = Consumer(event_log, "popularity", probe, idle_s=0.01, niceness=5)
    consumer.start()
    try:
        eventually(lambda: probe.inner.plays(), message="the consumer never applied the play")
    finally:
        consumer.stop()
    assert probe.nice and set(probe.nice) == {min(19, base + 5)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the rest of the process is untouched
