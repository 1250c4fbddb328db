"""The event log contract: every backend (SQLite, Redis Streams) behaves the same."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support.clock import FakeMonotonic
from tests.support.events import PARTITIONS, open_backend
from vodstack.events.log import EventLog, LogClosed, partition_for


def _keys_in_distinct_partitions() -> list[str]:
    found: dict[int, str] = {}
    for n in range(100):
        found.setdefault(partition_for(f"profile-{n}", PARTITIONS), f"profile-{n}")
    return [found[p] for p in sorted(found)]


def test_a_key_always_lands_in_the_same_partition_in_order(event_log: EventLog) -> None:
    written = [event_log.append("profile-7", f"e{n}".encode()) for n in range(5)]
    assert {a.partition for a in written} == {partition_for("profile-7", PARTITIONS)}
    assert [a.offset for a in written] == [0, 1, 2, 3, 4]
    records = event_log.read(written[0].partition, 0)
    assert [r.payload for r in records] == [b"e0", b"e1", b"e2", b"e3", b"e4"]
    assert {r.key for r in records} == {"profile-7"}


def test_partitions_number_their_records_independently(event_log: EventLog) -> None:
    keys = _keys_in_distinct_partitions()
    assert len(keys) == PARTITIONS
    for key in keys:
        assert event_log.append(key, b"x").offset == 0
        assert event_log.append(key, b"y").offset == 1
    assert [event_log.end_offset(p) for p in range(PARTITIONS)] == [2] * PARTITIONS


def test_replay_from_an_offset_and_limit(event_log: EventLog) -> None:
    for n in range(10):
        event_log.append("k", str(n).encode())
    partition = event_log.partition_of("k")
    assert [r.offset for r in event_log.read(partition, 6)] == [6, 7, 8, 9]
    assert [r.payload for r in event_log.read(partition, 2, limit=3)] == [b"2", b"3", b"4"]
    assert event_log.read(partition, 10) == []


def test_a_dedup_id_is_appended_once(event_log: EventLog) -> None:
    first = event_log.append("k", b"one", dedup_id="event-1")
    again = event_log.append("k", b"one again", dedup_id="event-1")
    assert first.offset == 0 and not first.duplicate
    assert again.duplicate and again.offset is None
    assert [r.payload for r in event_log.read(first.partition, 0)] == [b"one"]


def test_append_many_keeps_order_and_reports_duplicates(event_log: EventLog) -> None:
    results = event_log.append_many(
        [("k", b"a", "id-a"), ("k", b"b", "id-b"), ("k", b"a2", "id-a"), ("k", b"c", None)]
    )
    assert [(r.offset, r.duplicate) for r in results] == [
        (0, False),
        (1, False),
        (None, True),
        (2, False),
    ]
    assert [r.payload for r in event_log.read(results[0].partition, 0)] == [b"a", b"b", b"c"]


def test_consumer_groups_commit_offsets_independently(event_log: EventLog) -> None:
    for n in range(5):
        event_log.append("k", str(n).encode())
    partition = event_log.partition_of("k")
    assert event_log.committed("history", partition) == 0
    batch = event_log.poll("history", partition, limit=3)
    assert [r.offset for r in batch] == [0, 1, 2]
    event_log.commit("history", partition, batch[-1].offset + 1)
    assert [r.offset for r in event_log.poll("history", partition)] == [3, 4]
    assert [r.offset for r in event_log.poll("telemetry", partition)] == [0, 1, 2, 3, 4]
    assert event_log.lag("history") == 2
    assert event_log.lag("telemetry") == 5


def test_an_uncommitted_poll_is_delivered_again(event_log: EventLog) -> None:
    event_log.append("k", b"x")
    partition = event_log.partition_of("k")
    assert len(event_log.poll("g", partition)) == 1
    assert len(event_log.poll("g", partition)) == 1  # a crash before commit: read again


def test_retention_trims_old_records_but_keeps_offsets(
    event_log: EventLog, clock: FakeMonotonic
) -> None:
    event_log.append("k", b"old", dedup_id="old-id")
    clock.now += 100
    event_log.append("k", b"new")
    partition = event_log.partition_of("k")
    assert event_log.trim(older_than=clock.now - 50) == 1
    assert [(r.offset, r.payload) for r in event_log.read(partition, 0)] == [(1, b"new")]
    assert event_log.append("k", b"next").offset == 2  # offsets are never reused
    # The dedup window is the retention: a trimmed id is accepted again.
    assert not event_log.append("k", b"old", dedup_id="old-id").duplicate


def test_now_is_the_clock_that_stamps_the_records(
    event_log: EventLog, clock: FakeMonotonic
) -> None:
    clock.now += 12.5
    appended = event_log.append("k", b"x")
    assert event_log.now() == clock.now
    assert event_log.read(appended.partition, 0)[0].appended_at == clock.now


def test_dead_letters_keep_the_record_and_the_reason(event_log: EventLog) -> None:
    appended = event_log.append("profile-3", b"\x00poison")
    record = event_log.read(appended.partition, 0)[0]
    event_log.dead_letter("history", record, "payload is not JSON")
    event_log.dead_letter("telemetry", record, "unknown event type")
    letters = event_log.dead_letters()
    assert [(d.offset, d.group, d.reason) for d in letters] == [
        (0, "history", "payload is not JSON"),
        (1, "telemetry", "unknown event type"),
    ]
    assert letters[0].record == record
    assert [d.offset for d in event_log.dead_letters(offset=1)] == [1]


def test_concurrent_appenders_get_distinct_dense_offsets(event_log: EventLog) -> None:
    def write(n: int) -> None:
        for i in range(25):
            event_log.append("shared", f"{n}-{i}".encode(), dedup_id=f"{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = event_log.read(event_log.partition_of("shared"), 0, limit=1000)
    assert [r.offset for r in records] == list(range(100))
    assert len({r.payload for r in records}) == 100


def test_records_survive_reopening(
    backend: str, tmp_path: Path, clock: FakeMonotonic, request: pytest.FixtureRequest
) -> None:
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else None
    log = open_backend(backend, tmp_path, clock, prefix)
    log.append("k", b"kept", dedup_id="e1")
    log.commit("g", log.partition_of("k"), 1)
    log.close()
    with pytest.raises(LogClosed):
        log.append("k", b"late")
    reopened = open_backend(backend, tmp_path, clock, prefix)
    partition = reopened.partition_of("k")
    assert [r.payload for r in reopened.read(partition, 0)] == [b"kept"]
    assert reopened.committed("g", partition) == 1
    assert reopened.append("k", b"again", dedup_id="e1").duplicate
    reopened.close()


def test_poll_all_reads_every_partition_from_its_committed_offset(event_log: EventLog) -> None:
    keys = _keys_in_distinct_partitions()
    for key in keys:
        event_log.append_many([(key, f"{key}-{n}".encode(), None) for n in range(3)])
    first, second = (event_log.partition_of(key) for key in keys[:2])
    event_log.commit_many("g", {first: 2, second: 3})
    polled = event_log.poll_all("g", limit=2)
    assert second not in polled  # nothing left there: only partitions with records
    assert [r.offset for r in polled[first]] == [2]
    assert set(polled) == set(range(PARTITIONS)) - {second}
    assert all([r.offset for r in polled[p]] == [0, 1] for p in polled if p != first)
    assert [r.payload for r in polled[first]] == [f"{keys[0]}-2".encode()]
    assert (event_log.committed("g", first), event_log.committed("other", first)) == (2, 0)
    assert event_log.lag("g") == 3 * PARTITIONS - 5


def test_append_many_across_partitions_in_one_call(event_log: EventLog) -> None:
    a, b, c = _keys_in_distinct_partitions()[:3]
    event_log.append(b, b"earlier")
    items = [(a, b"a0", "x"), (b, b"b1", "y"), (a, b"a1", None), (c, b"c0", "x"), (b, b"b2", "y")]
    results = event_log.append_many(items)
    assert [(r.partition, r.offset, r.duplicate) for r in results] == [
        (event_log.partition_of(a), 0, False),
        (event_log.partition_of(b), 1, False),
        (event_log.partition_of(a), 1, False),
        (event_log.partition_of(c), None, True),  # dedup ids are global, not per partition
        (event_log.partition_of(b), None, True),
    ]
    assert [r.payload for r in event_log.read(event_log.partition_of(b), 0)] == [b"earlier", b"b1"]
