"""The bad-media corpus through the admin upload API (gateway -> pipeline, the real media check):
each file gets a clear error, nothing is published, and its title never reaches viewers; the
title is flagged `failed` for the admins, with the reason on its edit page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.media_stack import MediaStack, media_stack_for
from tests.pipeline.badmedia import bad_corpus
from tests.pipeline.jobs.orchestration_fakes import drain
from tests.support.gateway import Visitor, make_settings
from tests.support.waiting import eventually
from vodstack.config.settings import PipelineSettings, Settings
from vodstack.pipeline.jobs.media_tasks import MediaTaskExecutor, check_source
from vodstack.pipeline.jobs.worker import Worker
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.storage import LocalObjectStore

TITLE = {"name": "Harbor Lights", "year": 2024, "genres": ["Drama"], "maturity": "teen"}
REFUSED = {
    "notes": "notes.mp4: the file is not a recognised audio/video format",
    "truncated": "the upload was probably cut short",
    "song": "the file has only audio; a video stream is required",
    "tiny": "the video is 2x2; the smallest accepted frame is 32x32",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return bad_corpus(tmp_path_factory.mktemp("bad-media"))


@pytest.fixture
def media(tmp_path: Path) -> Iterator[MediaStack]:
    base = make_settings(tmp_path)
    pipeline = PipelineSettings.model_validate(
        {"chunk_s": 4.0, "ladder": [(144, 150)], "encoder_threads": 1, "poll_s": 0.05}
    )
    with media_stack_for(base.model_copy(update={"pipeline": pipeline}), check_source) as stack:
        yield stack


def _upload(admin: Visitor, path: Path) -> tuple[int, dict[str, object]]:
    created = admin.post("/api/admin/titles", json=TITLE)
    title_id = int(created.json()["id"])
    data = path.read_bytes()
    body = {"filename": path.name, "size": len(data), "title_id": title_id}
    declared = admin.post("/api/admin/uploads", json=body)
    if declared.status_code != 201:
        return title_id, declared.json()
    answer = admin.request(
        "PATCH",
        f"/api/admin/uploads/{declared.json()['id']}",
        content=data,
        headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    return title_id, answer.json()


def _flagged(media: MediaStack, admin: Visitor, title_id: int) -> str:
    """The admin edit page once the pipeline has told the catalog (its sync runs every 2 s)."""
    eventually(
        lambda: admin.get(f"/api/titles/{title_id}").json()["availability"] == "failed",
        timeout_s=30,
        interval_s=0.1,
        message="the title was never flagged failed",
    )
    return admin.get(f"/admin/titles/{title_id}/edit").text


def _assert_ghost_free(media: MediaStack, settings: Settings, title_id: int) -> None:
    viewer = media.viewer()
    assert viewer.get(f"/api/titles/{title_id}").status_code == 404
    assert title_id not in [t["id"] for t in viewer.get("/api/titles").json()["items"]]
    assert LocalObjectStore(settings.data_dir / "objects").list("titles/") == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_master_is_explained_and_its_title_flagged(
    media: MediaStack, corpus: dict[str, Path], name: str
) -> None:
    admin = media.admin()
    title_id, answer = _upload(admin, corpus[name])
    error = answer["error"]
    assert isinstance(error, dict) and error["code"] == "invalid_media"
    assert REFUSED[name] in error["message"]
    assert admin.get("/api/admin/jobs").json() == []
    page = _flagged(media, admin, title_id)
    assert 'id="title-failed"' in page, page
    assert REFUSED[name].removeprefix("notes.mp4: ") in page
    _assert_ghost_free(media, media.settings, title_id)


def test_an_empty_file_is_refused_when_declared(media: MediaStack, corpus: dict[str, Path]) -> None:
    admin = media.admin()
    title_id, answer = _upload(admin, corpus["empty"])
    assert answer["error"] == {
        **answer["error"],  # type: ignore[dict-item]
        "code": "invalid_media",
        "message": "empty.mp4: the file is empty (0 bytes).",
    }
    assert "the file is empty (0 bytes)" in _flagged(media, admin, title_id)
    _assert_ghost_free(media, media.settings, title_id)


def test_damaged_media_data_fails_its_job_with_the_time_and_flags_the_title(
    media: MediaStack, corpus: dict[str, Path]
) -> None:
    admin = media.admin()
    title_id, status = _upload(admin, corpus["zeroed"])
    assert status["state"] == "complete", status  # the first check cannot see the damage
    runtime: PipelineRuntime = media.apps.pipeline.state.pipeline
    worker = Worker(
        settings=media.settings,
        queue=runtime.queue,
        store=runtime.store,
        executor=MediaTaskExecutor(media.settings),
        owner="test:1:0",
        stop=threading.Event(),
    )
    drain(worker)
    job = admin.get(f"/api/admin/jobs/{status['job_id']}").json()
    assert job["state"] == "failed"
    # Video or audio, depending on which the zeroed bytes hit: the middle of a 4 s clip.
    damage = re.compile(r"corrupt (video|audio) data near 00:00:0[12]\.\d")
    assert damage.search(job["error"]), job["error"]
    assert damage.search(_flagged(media, admin, title_id))
    _assert_ghost_free(media, media.settings, title_id)


def test_the_extension_does_not_decide(media: MediaStack, corpus: dict[str, Path]) -> None:
    # A valid master named .txt is a video: the content is probed, not the name.
    _title_id, status = _upload(media.admin(), corpus["wrong_extension"])
    assert status["state"] == "complete" and status["job_id"] is not None
