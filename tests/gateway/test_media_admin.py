"""Admin media through the gateway: resumable uploads, jobs with progress, VMAF reports."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.gateway.media_stack import REJECTED_PREFIX, REJECTION, MediaStack, media_stack_for
from tests.support.gateway import Visitor
from vodstack.config.settings import Settings
from vodstack.delivery.assets import asset_key_prefix

CLIP = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40  # what the fake check accepts
TITLE = {"name": "Harbor Lights", "year": 2024, "genres": ["Drama"], "maturity": "teen"}


@pytest.fixture
def media(settings: Settings) -> Iterator[MediaStack]:
    with media_stack_for(settings) as running:
        yield running


def _title(admin: Visitor) -> int:
    created = admin.post("/api/admin/titles", json=TITLE)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _declare(admin: Visitor, title_id: int, data: bytes, name: str = "clip.mp4") -> str:
    body = {"filename": name, "size": len(data), "title_id": title_id}
    created = admin.post("/api/admin/uploads", json=body)
    assert created.status_code == 201, created.text
    assert created.headers["Upload-Offset"] == "0"
    return str(created.json()["id"])


def _patch(admin: Visitor, upload_id: str, offset: int, data: bytes) -> object:
    return admin.request(
        "PATCH",
        f"/api/admin/uploads/{upload_id}",
        content=data,
        headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )


def test_an_upload_resumes_from_the_servers_offset_and_creates_a_job(media: MediaStack) -> None:
    admin = media.admin()
    title_id = _title(admin)
    upload_id = _declare(admin, title_id, CLIP)

    first = _patch(admin, upload_id, 0, CLIP[:4000])
    assert first.status_code == 200 and first.json()["offset"] == 4000  # type: ignore[attr-defined]
    # A client that lost track (say the answer was lost) is told where the server is.
    stale = _patch(admin, upload_id, 1000, CLIP[1000:5000])
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert stale.json()["error"]["code"] == "offset_mismatch"  # type: ignore[attr-defined]
    head = admin.request("HEAD", f"/api/admin/uploads/{upload_id}")
    assert head.status_code == 200
    offset = int(head.headers["Upload-Offset"])
    assert (offset, int(head.headers["Upload-Length"])) == (4000, len(CLIP))

    done = _patch(admin, upload_id, offset, CLIP[offset:])
    assert done.status_code == 200  # type: ignore[attr-defined]
    status = done.json()  # type: ignore[attr-defined]
    assert status["state"] == "complete" and status["job_id"] is not None

    jobs = admin.get("/api/admin/jobs").json()
    assert [(j["id"], j["title_id"], j["title_name"]) for j in jobs] == [
        (status["job_id"], title_id, TITLE["name"])
    ]
    assert jobs[0]["state"] == "queued" and 0.0 <= jobs[0]["progress"] <= 1.0
    detail = admin.get(f"/api/admin/jobs/{status['job_id']}").json()
    assert detail["tasks"][0]["kind"] == "probe"


def test_a_rejected_upload_says_why_and_creates_no_job(media: MediaStack) -> None:
    admin = media.admin()
    data = REJECTED_PREFIX + b" just some notes" * 10
    upload_id = _declare(admin, _title(admin), data, name="notes.mp4")
    rejected = _patch(admin, upload_id, 0, data)
    assert rejected.status_code == 422  # type: ignore[attr-defined]
    error = rejected.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "invalid_media" and REJECTION in error["message"]
    assert admin.get("/api/admin/jobs").json() == []


def test_uploads_are_refused_clearly(media: MediaStack) -> None:
    admin = media.admin()
    title_id = _title(admin)
    empty = admin.post(
        "/api/admin/uploads", json={"filename": "a.mp4", "size": 0, "title_id": title_id}
    )
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
    unknown = admin.post(
        "/api/admin/uploads", json={"filename": "a.mp4", "size": 10, "title_id": 99_999}
    )
    assert unknown.status_code == 404
    assert admin.request("HEAD", "/api/admin/uploads/nosuchupload1").status_code == 404


def test_viewers_cannot_upload_or_see_jobs(media: MediaStack) -> None:
    viewer = media.viewer()
    body = {"filename": "a.mp4", "size": 10, "title_id": 1}
    assert viewer.post("/api/admin/uploads", json=body).status_code == 403
    assert viewer.get("/api/admin/jobs").status_code == 403
    assert viewer.get("/admin/jobs").status_code == 403
    assert viewer.get("/admin/upload").status_code == 403


def test_admin_pages_embed_the_jobs_and_offer_the_titles(media: MediaStack) -> None:
    admin = media.admin()
    title_id = _title(admin)
    upload_page = admin.get(f"/admin/upload?title_id={title_id}")
    assert upload_page.status_code == 200
    assert f'<option value="{title_id}" selected>' in upload_page.text
    upload_id = _declare(admin, title_id, CLIP)
    job_id = _patch(admin, upload_id, 0, CLIP).json()["job_id"]  # type: ignore[attr-defined]
    jobs_page = admin.get("/admin/jobs")
    assert jobs_page.status_code == 200 and 'id="jobs-table"' in jobs_page.text
    job_page = admin.get(f"/admin/jobs/{job_id}")
    assert job_page.status_code == 200 and f'data-job-id="{job_id}"' in job_page.text


def _publish_with_quality(media: MediaStack, title_id: int, version: str) -> None:
    folder = media.settings.data_dir / "objects" / asset_key_prefix(title_id, version)
    folder.mkdir(parents=True)
    report = {
        "model": "vmaf_v0.6.1",
        "reference_width": 640,
        "reference_height": 360,
        "renditions": [
            {"name": "v240p", "width": 426, "height": 240, "vmaf_mean": 91.96, "vmaf_min": 85.6,
             "segments": []},
        ],
    }  # fmt: skip
    (folder / "quality.json").write_text(json.dumps(report))
    change = {"availability": "available", "asset_version": version}
    assert media.catalog.put(f"/v1/titles/{title_id}/availability", json=change).status_code == 200


def test_the_title_page_and_api_show_vmaf_per_rendition(media: MediaStack) -> None:
    admin = media.admin()
    title_id = _title(admin)
    assert admin.get(f"/api/admin/titles/{title_id}/quality").status_code == 404
    _publish_with_quality(media, title_id, "20250101T000000Z-abc123")
    report = admin.get(f"/api/admin/titles/{title_id}/quality").json()
    assert report["renditions"][0]["vmaf_mean"] == pytest.approx(91.96)
    assert "segments" not in report["renditions"][0], "the admin API leaves per-segment scores out"
    page = admin.get(f"/admin/titles/{title_id}/edit").text
    assert 'id="title-quality"' in page and "92.0" in page


def test_bodies_are_capped_except_upload_slices(media: MediaStack) -> None:
    admin = media.admin()
    big = b"\x00\x00\x00\x18ftypisom" + bytes(3 * 1024 * 1024)  # above the 2 MiB default
    login = admin.post("/api/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert login.status_code == 413 and login.json()["error"]["code"] == "too_large"
    upload_id = _declare(admin, _title(admin), big)
    done = _patch(admin, upload_id, 0, big)
    assert done.status_code == 200, done  # type: ignore[attr-defined]
    assert done.json()["state"] == "complete"  # type: ignore[attr-defined]


def _upload_job(admin: Visitor) -> int:
    title_id = _title(admin)
    upload_id = _declare(admin, title_id, CLIP)
    return int(_patch(admin, upload_id, 0, CLIP).json()["job_id"])  # type: ignore[attr-defined]


def test_waiting_jobs_show_their_queue_position_and_take_a_priority(media: MediaStack) -> None:
    admin = media.admin()
    first, second = _upload_job(admin), _upload_job(admin)
    spots = {j["id"]: j for j in admin.get("/api/admin/jobs").json()}
    assert (spots[first]["queue_position"], spots[second]["queue_position"]) == (1, 2)
    assert spots[first]["estimated_start"] <= spots[second]["estimated_start"]

    raised = admin.request("PUT", f"/api/admin/jobs/{second}/priority", json={"priority": 3})
    assert raised.status_code == 200, raised.text
    assert (raised.json()["priority"], raised.json()["queue_position"]) == (3, 1)
    spots = {j["id"]: j for j in admin.get("/api/admin/jobs").json()}
    assert spots[first]["queue_position"] == 2
    page = admin.get(f"/admin/jobs/{second}")
    assert (
        'id="job-priority" name="priority" type="number"' in page.text and 'value="3"' in page.text
    )

    too_high = admin.request("PUT", f"/api/admin/jobs/{first}/priority", json={"priority": 10**6})
    assert too_high.status_code == 422
    missing = admin.request("PUT", "/api/admin/jobs/999/priority", json={"priority": 1})
    assert missing.status_code == 404
    admin.post(f"/api/admin/jobs/{first}/cancel")
    finished = admin.request("PUT", f"/api/admin/jobs/{first}/priority", json={"priority": 1})
    assert finished.status_code == 409
    assert finished.json()["error"]["code"] == "job_finished"
    viewer = media.viewer()
    assert (
        viewer.request(
            "PUT", f"/api/admin/jobs/{second}/priority", json={"priority": 1}
        ).status_code
        == 403
    )


def test_the_home_page_says_media_is_being_prepared(media: MediaStack) -> None:
    admin = media.admin()
    job_id = _upload_job(admin)  # a title still processing: its job queued
    done = _title(admin)
    _publish_with_quality(media, done, "v1")
    viewer = media.viewer()
    home = viewer.get("/")
    assert home.status_code == 200
    assert 'id="media-preparing"' in home.text
    # One title published (done), one whose job has not started (0 %).
    assert "1 of 2 titles ready, 50.0 %" in home.text
    # Nothing under way any more (no demo media, say): titles without media, but no notice.
    assert admin.post(f"/api/admin/jobs/{job_id}/cancel").status_code == 200
    assert 'id="media-preparing"' not in viewer.get("/").text


@pytest.mark.parametrize("demo_media", [True, False])
def test_the_notice_shows_while_the_demo_masters_are_made_before_any_job(
    settings: Settings, demo_media: bool
) -> None:
    # `vodstack up` seeds the demo titles, then makes their masters one by one: until the first
    # upload the pipeline has no job, and with demo media on the notice says so from the start.
    with media_stack_for(settings.model_copy(update={"demo_media": demo_media})) as media:
        admin = media.admin()
        _title(admin)
        _publish_with_quality(media, _title(admin), "v1")
        home = media.viewer().get("/")
        assert home.status_code == 200
        assert ("1 of 2 titles ready, 50.0 %" in home.text) is demo_media
        assert ('id="media-preparing"' in home.text) is demo_media
