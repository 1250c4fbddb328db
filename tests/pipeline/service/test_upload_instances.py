"""Any pipeline API instance takes any request of an upload (issue 15, point 1): two apps on one
data directory and jobs database, as two instances of the platform are; the writer lease is in
that database, so a PATCH on one instance shuts out the other until it ends or its lease runs
out (an instance killed mid-chunk). The kill -9 of a real instance is in
tests/integration/test_scale.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.pipeline.service.upload_support import UPLOAD_LIMIT, accept_anything
from tests.support.service_tokens import authorized, credentials
from vodstack.clients.pipeline import PipelineClient, upload_file
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.contracts.pipeline import UploadStatus
from vodstack.pipeline.service.app import create_app
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.pipeline.service.upload_lease import UploadLeases
from vodstack.pipeline.service.uploads import UploadRow

BODY = b"GOOD" + bytes(range(256)) * 40
LEASE_S = 10.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    pipeline = PipelineSettings(max_upload_bytes=UPLOAD_LIMIT, upload_lease_s=LEASE_S)
    return with_secrets(load_settings(data_dir=tmp_path / "data", pipeline=pipeline))


@pytest.fixture
def instances(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    with ExitStack() as stack:
        pair = [stack.enter_context(_instance(settings)) for _ in range(2)]
        yield pair[0], pair[1]


def _instance(settings: Settings) -> TestClient:
    """One pipeline API instance as `vodstack up` runs it: no pool, no drain, no reaper."""
    app = create_app(settings, workers=False, duties=False, check=accept_anything)
    return authorized(TestClient(app), settings, "pipeline")


def _leases(client: TestClient) -> UploadLeases:
    runtime: PipelineRuntime = client.app.state.pipeline  # type: ignore[attr-defined]
    return runtime.leases


def _patch(
    client: TestClient, upload_id: str, offset: int, data: bytes
) -> tuple[int, dict[str, Any]]:
    response = client.patch(
        f"/v1/uploads/{upload_id}", content=data, headers={"Upload-Offset": str(offset)}
    )
    return response.status_code, response.json()


def test_chunks_alternate_between_instances_and_make_one_job(
    instances: tuple[TestClient, TestClient],
) -> None:
    a, b = instances
    created = a.post("/v1/uploads", json={"filename": "m.mp4", "size": len(BODY), "title_id": 7})
    upload_id = created.json()["id"]
    assert _patch(a, upload_id, 0, BODY[:3000])[1]["offset"] == 3000
    assert int(b.head(f"/v1/uploads/{upload_id}").headers["Upload-Offset"]) == 3000
    assert _patch(b, upload_id, 3000, BODY[3000:6000])[1]["offset"] == 6000
    status, done = _patch(a, upload_id, 6000, BODY[6000:])
    assert status == 200 and done["state"] == "complete" and done["job_id"] is not None
    assert b.get(f"/v1/uploads/{upload_id}").json()["job_id"] == done["job_id"]
    assert len(b.get("/v1/jobs").json()) == 1
    again = _patch(b, upload_id, len(BODY), b"")
    assert again[0] == 409 and again[1]["error"]["code"] == "upload_finished"


def test_a_writer_killed_mid_chunk_shuts_out_others_only_until_its_lease_runs_out(
    instances: tuple[TestClient, TestClient],
) -> None:
    a, b = instances
    created = a.post("/v1/uploads", json={"filename": "m.mp4", "size": len(BODY), "title_id": 8})
    upload_id = created.json()["id"]
    assert _patch(a, upload_id, 0, BODY[:4000])[1]["offset"] == 4000
    # Instance a took the lease for its next chunk (4 s ago... of a lease that has 6 s left)
    # and died: nothing renews or releases it.
    leases = _leases(a)
    runs_out = time.time() + 6.0
    assert leases.take(upload_id, "killed-writer", now=runs_out - LEASE_S)
    status, body = _patch(b, upload_id, 4000, BODY[4000:])
    assert status == 409 and body["error"]["code"] == "upload_busy"
    assert "resume" in body["error"]["message"]
    time.sleep(max(0.0, runs_out - time.time()) + 0.1)
    # Run out: b takes over from the bytes on disk.
    assert int(b.head(f"/v1/uploads/{upload_id}").headers["Upload-Offset"]) == 4000
    status, body = _patch(b, upload_id, 4000, BODY[4000:])
    assert status == 200 and body["state"] == "complete"


def test_a_writer_that_lost_its_lease_cannot_renew_it(
    instances: tuple[TestClient, TestClient],
) -> None:
    a, _ = instances
    created = a.post("/v1/uploads", json={"filename": "m.mp4", "size": len(BODY), "title_id": 9})
    upload_id = created.json()["id"]
    leases = _leases(a)
    assert leases.take(upload_id, "frozen", now=time.time() - LEASE_S - 1)  # ran out long ago
    assert leases.take(upload_id, "successor")
    assert leases.renew(upload_id, "frozen") is False
    assert leases.renew(upload_id, "successor") is True
    missing = _patch(a, "0" * 24, 0, b"GOOD")
    assert missing[0] == 404 and missing[1]["error"]["code"] == "upload_not_found"


class TakeTurns(httpx.AsyncBaseTransport):
    """Each request to the next instance, as a balancing client spreads them."""

    def __init__(self, *apps: object) -> None:
        self._inner = [httpx.ASGITransport(app=app) for app in apps]  # type: ignore[arg-type]
        self.turn = 0
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.turn += 1
        inner = self._inner[self.turn % len(self._inner)]
        response = await inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


def test_upload_file_waits_out_a_dead_writers_lease(
    instances: tuple[TestClient, TestClient], settings: Settings, tmp_path: Path
) -> None:
    a, b = instances
    source = tmp_path / "m.mp4"
    source.write_bytes(BODY)
    turns = TakeTurns(a.app, b.app)
    client = PipelineClient("http://pipeline", credentials=credentials(settings), transport=turns)
    leases = _leases(a)
    killed: list[bool] = []

    def progress(offset: int) -> None:
        if offset and not killed:  # an instance takes the next chunk's lease, then dies
            killed.append(True)
            row_id = _only_upload(a)
            assert leases.take(row_id, "killed-writer", now=time.time() + 2.0 - LEASE_S)

    async def upload() -> UploadStatus:
        try:
            return await upload_file(client, source, 11, progress, chunk_bytes=3000)
        finally:
            await client.aclose()

    done = asyncio.run(upload())
    assert done.state.value == "complete" and done.offset == len(BODY) and done.job_id
    assert killed and 409 in turns.statuses, "the dead writer's lease was waited out"


def _only_upload(client: TestClient) -> str:
    runtime: PipelineRuntime = client.app.state.pipeline  # type: ignore[attr-defined]
    with runtime.sessions() as session:
        (upload_id,) = session.scalars(select(UploadRow.id)).all()
        return str(upload_id)
