"""kill -9 of the telemetry process mid-stream, then a restart: every event in the log is
counted exactly once (none lost, the replayed ones absorbed). A real process, a real SIGKILL.

The stream is live: a writer keeps appending while the first process consumes, and goes on
after the kill, so the kill lands mid-stream however fast the consumers read their blocks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.events.stack import event
from tests.support.gateway import make_settings
from tests.support.service_tokens import credentials
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.contracts.events import EVENT
from vodstack.core.service_auth import ServiceAuth
from vodstack.events.log import open_event_log
from vodstack.supervisor.launcher import free_port

MAX_EVENTS = 100_000  # the writer's cap, far beyond what a run writes


@contextmanager
def _telemetry_process(settings_file: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "vodstack", "serve", "telemetry"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--settings-file", str(settings_file)], stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def _wait(predicate: Callable[[], bool], what: str) -> None:
    eventually(
        predicate,
        timeout_s=90.0,
        interval_s=0.1,
        message=f"timed out waiting for {what}",
        tolerate=(httpx.HTTPError,),
    )


class _Writer:
    """Appends `play_start` events (50 profiles, 5 titles) in batches until stopped."""

    def __init__(self, settings: Settings, batch: int = 50, pause_s: float = 0.01) -> None:
        self._log = open_event_log(settings)
        self._batch, self._pause_s = batch, pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-writer")
        self.written = 0

    def _run(self) -> None:
        at = datetime.now(UTC).isoformat()
        while not self._stop.is_set() and self.written < MAX_EVENTS:
            batch = []
            for n in range(self.written, self.written + self._batch):
                item = EVENT.validate_python(
                    {
                        **event("play_start", title_id=1 + n % 5, region="eu"),
                        "profile_id": 1 + n % 50,
                        "at": at,
                    }
                )
                batch.append((str(item.profile_id), item.model_dump_json().encode(), None))
            self._log.append_many(batch)
            self.written += len(batch)
            self._stop.wait(self._pause_s)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stop writing; returns how many events were written."""
        self._stop.set()
        self._thread.join(30)
        return self.written

    def __exit__(self, *_: object) -> None:
        self.stop()
        self._log.close()


def test_kill_9_mid_batch_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path, ports={"telemetry": port})
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(settings.dump_for_child())
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        auth=ServiceAuth(credentials(settings), "telemetry"),
        timeout=5.0,
    )

    def plays() -> int:
        return sum(row["plays"] for row in client.get("/v1/popularity").json())

    def consumers() -> dict[str, dict[str, int]]:
        return {c["group"]: c for c in client.get("/v1/telemetry/consumers").json()}

    with _Writer(settings) as writer:
        with _telemetry_process(settings_file, tmp_path / "telemetry.log") as first:
            _wait(lambda: plays() > 0, "the first events to be counted")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(30)
        counted_before_crash = plays_from_disk(settings)
        eventually(lambda: writer.written > counted_before_crash + 500, timeout_s=60.0)
        written = writer.stop()
    assert 0 < counted_before_crash < written, "the kill must land mid-stream"

    with _telemetry_process(settings_file, tmp_path / "telemetry.log"):
        drained = lambda: all(c["lag"] == 0 for c in consumers().values())  # noqa: E731
        _wait(drained, "both groups to drain the backlog")
        assert plays() == written
        print("replays absorbed:", {g: c["replays"] for g, c in consumers().items()})
    client.close()
    assert starts_from_disk(settings) == written


def _total(path: Path, sql: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


def plays_from_disk(settings: Settings) -> int:
    path = settings.data_dir / "telemetry" / "popularity.sqlite"
    return _total(path, "SELECT COALESCE(SUM(plays), 0) FROM plays")


def starts_from_disk(settings: Settings) -> int:
    path = settings.data_dir / "telemetry" / "series.sqlite"
    return _total(path, "SELECT COALESCE(SUM(value), 0) FROM counters WHERE metric = 'starts'")
