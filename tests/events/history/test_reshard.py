"""Online resharding 4 -> 8 while a writer keeps applying batches: afterwards every record
written (before and during the move) is readable, exactly once, with its last position."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.events.stack import event
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.contracts.history import ReshardPhase
from vodstack.core.errors import Conflict, Invalid
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.repository import ShardedHistory, ShardLayout, read_ring
from vodstack.services.history.reshard import Resharder

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ShardTemplate = Callable[[str], str | None]  # the `shard_template` fixture (conftest.py)


def _heartbeat(profile: int, title: int, position: float, tick: int) -> AnyEvent:
    fields = {"profile_id": profile, "title_id": title, "position_s": position}
    at = (T0 + timedelta(seconds=tick)).isoformat()
    return EVENT.validate_python({**event("heartbeat", **fields, duration_s=10_000.0), "at": at})


def _open(root: Path, template: str | None, shards: int = 4) -> ShardedHistory:
    ring = read_ring(root, shards)
    layout = ShardLayout(root, ring.shards, 64, 0.95, ring.generation, template)
    return ShardedHistory(layout, LookAsideCache(ttl_s=60))


class Writer:
    """Keeps writing: new (profile, title) records and newer positions of old ones."""

    def __init__(self, history: ShardedHistory) -> None:
        self.history = history
        self.expected: dict[tuple[int, int], float] = {}
        self.during = 0
        self._tick = 0
        self._stop = threading.Event()

    def batch(self, size: int = 50) -> None:
        events = []
        for _ in range(size):
            self._tick += 1
            key = (1 + self._tick % 997, 1 + self._tick % 13) if self._tick % 3 else (
                10_000 + self._tick, 1)  # fmt: skip
            position = float(self._tick)
            self.expected[key] = position
            events.append(_heartbeat(*key, position, self._tick))
        self.history.apply(events)

    def run_until_stopped(self, resharder: Resharder) -> None:
        while not self._stop.is_set():
            self.batch()
            if resharder.progress.phase is ReshardPhase.COPYING:
                self.during += 1

    def stop(self) -> None:
        self._stop.set()


def test_reshard_under_concurrent_writes_loses_and_duplicates_nothing(
    tmp_path: Path, shard_template: ShardTemplate
) -> None:
    template = shard_template("h")
    history = _open(tmp_path, template)
    writer = Writer(history)
    for _ in range(60):
        writer.batch()  # 3,000 events before the move
    resharder = Resharder(history)
    thread = threading.Thread(target=writer.run_until_stopped, args=(resharder,))
    thread.start()
    resharder.start(8)
    resharder.join(120)
    writer.stop()
    thread.join(30)
    for _ in range(5):
        writer.batch()  # and after the cut-over

    progress = resharder.progress
    assert progress.phase is ReshardPhase.DONE, progress.message
    assert writer.during > 0, "the writer must have written during the move"
    assert history.layout.count == 8 and history.layout.generation == 1
    assert history.count() == len(writer.expected)
    for (profile, title), position in writer.expected.items():
        resumed = history.resume(profile, title)
        assert resumed is not None and resumed.position_s == position
    history.close()

    reopened = _open(tmp_path, template)  # the cut-over survives a restart
    assert (reopened.layout.count, reopened.count()) == (8, len(writer.expected))
    reopened.close()


def test_one_reshard_at_a_time_and_a_real_change(tmp_path: Path) -> None:
    history = _open(tmp_path, None)
    resharder = Resharder(history)
    with pytest.raises(Invalid):
        resharder.start(4)
    writer = Writer(history)
    for _ in range(40):
        writer.batch()
    with history.write_lock:  # holds the move before its dual-write switch: still running
        resharder.start(2)
        with pytest.raises(Conflict):
            resharder.start(3)
    resharder.join(60)
    assert resharder.progress.phase is ReshardPhase.DONE
    assert history.count() == len(writer.expected)
    history.close()
