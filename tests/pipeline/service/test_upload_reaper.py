"""Abandoned uploads are reaped: after `upload_ttl_s` without data their bytes are deleted, the
upload expires (a late slice gets 409) and its title is flagged for the admins."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.pipeline.service.upload_support import UPLOAD_LIMIT, accept_anything
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import PipelineSettings, load_settings
from vodstack.pipeline.service.app import create_app
from vodstack.pipeline.service.runtime import PipelineRuntime

PART = b"GOOD" + bytes(1000)


def _client(tmp_path: Path, ttl_s: float, interval_s: float) -> TestClient:
    pipeline = PipelineSettings(
        max_upload_bytes=UPLOAD_LIMIT, upload_ttl_s=ttl_s, upload_reap_interval_s=interval_s
    )
    settings = with_secrets(load_settings(data_dir=tmp_path / "data", pipeline=pipeline))
    client = TestClient(create_app(settings, workers=False, check=accept_anything))
    return authorized(client, settings, "pipeline")


def _started(client: TestClient, title_id: int) -> str:
    body = {"filename": "m.mp4", "size": 4 * len(PART), "title_id": title_id}
    upload_id = str(client.post("/v1/uploads", json=body).json()["id"])
    sent = client.patch(f"/v1/uploads/{upload_id}", content=PART, headers={"Upload-Offset": "0"})
    assert sent.json()["offset"] == len(PART)
    return upload_id


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, ttl_s=3600, interval_s=3600) as client:
        yield client


def test_only_uploads_idle_past_the_ttl_are_expired(idle: TestClient, tmp_path: Path) -> None:
    runtime: PipelineRuntime = idle.app.state.pipeline  # type: ignore[attr-defined]
    old, fresh = _started(idle, 4), _started(idle, 5)
    stray = runtime.uploads.part_path("deadbeef")  # a part file whose row never got written
    stray.write_bytes(b"x")
    assert runtime.uploads.reap_abandoned(3600) == []
    later = time.time() + 3601  # an hour on: `fresh` kept receiving, `old` went quiet
    os.utime(runtime.uploads.part_path(fresh), (later - 10, later - 10))
    assert runtime.uploads.reap_abandoned(3600, now=later) == [old]
    assert not runtime.uploads.part_path(old).exists() and not stray.exists()
    status = idle.get(f"/v1/uploads/{old}").json()
    assert status["state"] == "expired" and "abandoned" in status["error"]
    late = idle.patch(f"/v1/uploads/{old}", content=PART, headers={"Upload-Offset": "0"})
    assert late.status_code == 409
    assert idle.get(f"/v1/uploads/{fresh}").json()["state"] == "receiving"
    failure = runtime.queue.failures.latest(4)
    assert failure is not None and "abandoned" in failure.reason


def test_the_service_reaps_on_its_own(tmp_path: Path) -> None:
    with _client(tmp_path, ttl_s=0.5, interval_s=0.1) as client:
        upload_id = _started(client, 4)
        eventually(
            lambda: client.get(f"/v1/uploads/{upload_id}").json()["state"] == "expired",
            timeout_s=20,
            interval_s=0.1,
            message="the reaper never ran",
        )
        runtime: PipelineRuntime = client.app.state.pipeline  # type: ignore[attr-defined]
        assert not runtime.uploads.part_path(upload_id).exists()
