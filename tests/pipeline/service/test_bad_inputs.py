"""Bad masters are refused with the probe's clear message, and nothing is created or published."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.service_tokens import authorized
from vodstack.config.settings import Settings
from vodstack.pipeline.media import Pattern, ffmpeg_exe, make_synthetic
from vodstack.pipeline.service.app import create_app
from vodstack.storage import LocalObjectStore


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", *args], check=True, timeout=60)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad-media")
    good = make_synthetic(root / "good.mp4", Pattern.TESTSRC2, duration_s=4, width=320, height=240)
    (root / "notes.mp4").write_text("hello, I am a text file\n" * 20)
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    _ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(root / "song.mp4"))
    _ffmpeg(
        "-f", "lavfi", "-i", "color=s=8192x64:d=1", "-c:v", "libx264", "-preset", "ultrafast",
        str(root / "huge.mp4"),
    )  # fmt: skip
    return {p.stem: p for p in root.iterdir()}


@pytest.fixture
def real_client(settings: Settings) -> Iterator[TestClient]:
    roomy = settings.pipeline.model_copy(update={"max_upload_bytes": 100 * 1024**2})
    app = create_app(settings.model_copy(update={"pipeline": roomy}), workers=False)
    with TestClient(app) as client:
        yield authorized(client, settings, "pipeline")


def _upload(client: TestClient, path: Path) -> tuple[int, dict[str, object]]:
    data = path.read_bytes()
    created = client.post(
        "/v1/uploads", json={"filename": path.name, "size": len(data), "title_id": 5}
    )
    if created.status_code != 201:
        return created.status_code, created.json()["error"]
    response = client.patch(
        f"/v1/uploads/{created.json()['id']}", content=data, headers={"Upload-Offset": "0"}
    )
    body = response.json()
    return response.status_code, body["error"] if response.status_code >= 400 else body


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("notes", "not a recognised audio/video format"),
        ("truncated", "the upload was probably cut short"),
        ("song", "only audio; a video stream is required"),
        ("huge", "8192x64; the largest accepted frame is 7680x4320"),
    ],
)
def test_bad_master_is_rejected_clearly(
    real_client: TestClient, settings: Settings, media: dict[str, Path], name: str, message: str
) -> None:
    status, error = _upload(real_client, media[name])
    assert status == 422
    assert error["code"] == "invalid_media"
    assert message in str(error["message"])
    assert str(error["message"]).startswith(f"{name}.mp4: ")
    assert real_client.get("/v1/jobs").json() == []
    assert LocalObjectStore(settings.data_dir / "objects").list() == []


def test_an_empty_file_is_rejected_clearly(real_client: TestClient, settings: Settings) -> None:
    response = real_client.post(
        "/v1/uploads", json={"filename": "empty.mp4", "size": 0, "title_id": 5}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "empty.mp4: the file is empty (0 bytes)."
    assert LocalObjectStore(settings.data_dir / "objects").list() == []


def test_a_good_master_becomes_a_job(real_client: TestClient, media: dict[str, Path]) -> None:
    status, body = _upload(real_client, media["good"])
    assert status == 200
    assert body["state"] == "complete"
    assert isinstance(body["job_id"], int)
