"""`vodstack history reshard --shards 8` against a real history process, while events keep
arriving through the log: exact counts afterwards, and the new ring survives a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.events.stack import event
from tests.support.gateway import make_settings
from tests.support.service_tokens import credentials
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.contracts.events import EVENT
from vodstack.core.service_auth import ServiceAuth
from vodstack.events.log import open_event_log
from vodstack.supervisor.launcher import free_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def _history_process(settings_file: Path, log: Path) -> Iterator[None]:
    command = [sys.executable, "-m", "vodstack", "serve", "history"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--settings-file", str(settings_file)], stdout=out, stderr=out
        )
    try:
        yield
    finally:
        process.terminate()
        process.wait(30)


def _wait(predicate: Callable[[], bool], what: str) -> None:
    eventually(
        predicate,
        timeout_s=120.0,
        interval_s=0.1,
        message=f"timed out waiting for {what}",
        tolerate=(httpx.HTTPError,),
    )


class LogWriter(threading.Thread):
    """Appends heartbeat batches to the events log until stopped; remembers what it wrote."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.pairs: set[tuple[int, int]] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        log = open_event_log(self.settings)
        tick = 0
        while not self.stopped.is_set():
            batch = []
            for _ in range(50):
                tick += 1
                pair = (1 + tick % 1500, 1 + tick % 7)
                self.pairs.add(pair)
                fields = {"profile_id": pair[0], "title_id": pair[1], "position_s": float(tick)}
                at = (T0 + timedelta(seconds=tick)).isoformat()
                item = EVENT.validate_python({**event("heartbeat", **fields), "at": at})
                batch.append((str(pair[0]), item.model_dump_json().encode(), None))
            log.append_many(batch)
            time.sleep(0.01)
        log.close()


@pytest.mark.slow
def test_reshard_command_moves_history_under_load(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path, ports={"history": port})
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(settings.dump_for_child())
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        auth=ServiceAuth(credentials(settings), "history"),
        timeout=10.0,
    )

    def status() -> dict[str, Any]:
        body: dict[str, Any] = client.get("/v1/status").json()
        return body

    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    env["VODSTACK_PORTS"] = json.dumps({"history": port})
    command = [sys.executable, "-m", "vodstack", "history", "reshard", "--shards", "8"]
    writer = LogWriter(settings)
    with _history_process(settings_file, tmp_path / "history.log"):
        _wait(lambda: status()["shards"] == 4, "the history service")
        writer.start()
        _wait(lambda: status()["positions"] > 2000, "history to fill up")
        result = subprocess.run(
            [*command, "--data-dir", str(tmp_path)],
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        writer.stopped.set()
        writer.join(30)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "done:" in result.stdout
        _wait(lambda: status()["lag"] == 0, "the consumer to catch up")
        after = status()
    assert after["shards"] == 8
    assert after["positions"] == len(writer.pairs)

    with _history_process(settings_file, tmp_path / "history.log"):
        _wait(lambda: status()["lag"] == 0, "the restarted history service")
        assert (status()["shards"], status()["positions"]) == (8, len(writer.pairs))
    client.close()
