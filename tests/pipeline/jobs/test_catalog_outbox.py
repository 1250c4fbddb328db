"""The publication outbox against the real catalog service: preview first, then complete."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.pipeline.jobs.orchestration_fakes import configure, drain, executions
from tests.support.service_tokens import authorized, credentials
from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Title, TitleCreate
from vodstack.contracts.common import Maturity
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.worker import Worker
from vodstack.pipeline.service.catalog_sync import sync_once
from vodstack.services.catalog.app import create_app as create_catalog_app


@pytest.fixture
def catalog(settings: Settings) -> Iterator[tuple[TestClient, CatalogClient]]:
    app = create_catalog_app(settings)
    with TestClient(app) as direct:
        client = CatalogClient(
            "http://catalog", credentials=credentials(settings), transport=httpx.ASGITransport(app)
        )
        yield authorized(direct, settings, "catalog"), client


def _title(direct: TestClient) -> int:
    body = TitleCreate(name="Outbox", year=2026, genres=["Drama"])
    response = direct.post("/v1/titles", json=body.model_dump())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _shown(direct: TestClient, title_id: int) -> Title:
    params = {"maturity": Maturity.ADULT.value, "unpublished": "true"}
    response = direct.get(f"/v1/titles/{title_id}", params=params)
    return Title.model_validate(response.json())


def _sync(queue: JobQueue, client: CatalogClient) -> int:
    return asyncio.run(sync_once(queue, client))


def test_the_title_plays_the_preview_until_the_complete_version_is_out(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    catalog: tuple[TestClient, CatalogClient],
) -> None:
    direct, client = catalog
    title_id = _title(direct)
    configure(settings.data_dir, renditions=["240p", "720p"], chunks=2, preview=["240p"])
    job_id = queue.create_job(title_id, f"masters/{title_id}/a.mp4")
    while "publish:preview" not in [line.split()[0] for line in executions(settings.data_dir)]:
        assert worker.run_once()
    assert _shown(direct, title_id).asset_version is None
    assert _sync(queue, client) == 1
    preview = _shown(direct, title_id)
    assert preview.availability.value == "available"
    assert preview.asset_version is not None and preview.asset_version.endswith("-preview")
    drain(worker)
    assert _sync(queue, client) == 1
    complete = _shown(direct, title_id)
    assert complete.asset_version == preview.asset_version.removesuffix("-preview")
    assert _sync(queue, client) == 0, "each publication is told once"
    assert queue.preview_of(job_id) == preview.asset_version


def test_a_catalog_that_is_down_is_told_later(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    catalog: tuple[TestClient, CatalogClient],
) -> None:
    direct, client = catalog
    title_id = _title(direct)
    configure(settings.data_dir, renditions=["240p", "720p"], chunks=1, preview=["240p"])
    queue.create_job(title_id, f"masters/{title_id}/a.mp4")
    drain(worker)
    # Nothing listens on the discard port.
    down = CatalogClient("http://127.0.0.1:9", credentials=credentials(settings), timeout=0.5)
    assert _sync(queue, down) == 0
    assert [p.preview for p in queue.unsynced_publications()] == [False], (
        "the job finished, so its preview is retired and only the complete version is due"
    )
    assert _sync(queue, client) == 1
    assert not _shown(direct, title_id).asset_version.endswith("-preview")  # type: ignore[union-attr]


def test_a_job_that_fails_for_good_flags_its_unpublished_title(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    catalog: tuple[TestClient, CatalogClient],
) -> None:
    direct, client = catalog
    title_id = _title(direct)
    configure(settings.data_dir, renditions=["240p"], chunks=1, fatal=["probe"])
    job_id = queue.create_job(title_id, f"masters/{title_id}/a.mp4")
    drain(worker)
    assert _shown(direct, title_id).availability.value == "processing"
    assert _sync(queue, client) == 1
    assert _shown(direct, title_id).availability.value == "failed"
    assert _sync(queue, client) == 0, "each failure is told once"
    failure = queue.failures.latest(title_id)
    assert failure is not None and failure.job_id == job_id
    assert failure.reason.startswith("probe failed (not retryable)")
    viewer = direct.get(f"/v1/titles/{title_id}", params={"maturity": "adult"})
    assert viewer.status_code == 404, "a failed title is never shown to viewers"


def test_a_failure_superseded_by_a_newer_job_is_not_told(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    catalog: tuple[TestClient, CatalogClient],
) -> None:
    direct, client = catalog
    title_id = _title(direct)
    configure(settings.data_dir, renditions=["240p"], chunks=1, fatal=["probe"])
    queue.create_job(title_id, f"masters/{title_id}/a.mp4")
    drain(worker)
    configure(settings.data_dir, renditions=["240p"], chunks=1)
    queue.create_job(title_id, f"masters/{title_id}/b.mp4")  # the admin uploaded again
    assert queue.failures.unsynced() == []
    drain(worker)
    _sync(queue, client)
    assert _shown(direct, title_id).availability.value == "available"
