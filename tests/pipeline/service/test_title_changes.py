"""Issue 20, points 3 and 5: changes to a published title that take a new asset version.

Encryption is a per-title setting (an upload or job may set it; a change re-encodes the
latest master), and an audio language can be added after the title was published: the file is
checked (language tag, decodes, lasts as long as the video) before a job is queued, and the
new master carries it as a tagged audio stream (its job plans a rendition for it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vodstack.config.settings import Settings
from vodstack.contracts.pipeline import JobState
from vodstack.pipeline.jobs.models import JobRow
from vodstack.pipeline.media import probe
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL
from vodstack.pipeline.media.multilingual import Voice, multilingual_clip
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.storage import master_key

TITLE = 7


def _runtime(client: TestClient) -> PipelineRuntime:
    runtime: PipelineRuntime = client.app.state.pipeline  # type: ignore[attr-defined]
    return runtime


def _published(client: TestClient, master: Path, title_id: int = TITLE) -> str:
    """A title whose job from `master` succeeded (as if its workers had run)."""
    pipeline = _runtime(client)
    key = master_key(title_id, "first", ".mp4")
    pipeline.store.put_file(key, master)
    job_id = pipeline.queue.create_job(title_id, key)
    with pipeline.sessions.begin() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        row.state = JobState.SUCCEEDED
    return key


def _tone(path: Path, seconds: float) -> Path:
    tone = f"sine=frequency=660:sample_rate=48000:duration={seconds}"
    # A low bitrate: the test settings cap a body at 64 KiB.
    DEFAULT_CONTROL.run(["-f", "lavfi", "-i", tone, "-c:a", "aac", "-b:a", "24k", str(path)])
    return path


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("title-changes")
    return multilingual_clip(folder / "master.mp4", 4, [Voice("eng", 440)])


def test_encryption_is_a_title_setting_and_a_change_makes_a_new_version(
    client: TestClient, settings: Settings, master: Path
) -> None:
    assert client.get(f"/v1/titles/{TITLE}/encryption").json() == {"encrypt": False}
    upload = {"filename": "m.mp4", "size": 10, "title_id": TITLE, "encrypt": True}
    assert client.post("/v1/uploads", json=upload).status_code == 201
    assert client.get(f"/v1/titles/{TITLE}/encryption").json() == {"encrypt": True}

    key = _published(client, master)
    unchanged = client.put(f"/v1/titles/{TITLE}/encryption", json={"encrypt": True})
    assert unchanged.json() == {"title_id": TITLE, "encrypt": True, "job_id": None}

    changed = client.put(f"/v1/titles/{TITLE}/encryption", json={"encrypt": False})
    assert changed.status_code == 200, changed.text
    job_id = changed.json()["job_id"]
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert job["source_key"] == key and job["state"] == "queued"
    assert client.get(f"/v1/titles/{TITLE}/encryption").json() == {"encrypt": False}


def test_an_audio_language_joins_the_latest_master_as_a_new_job(
    client: TestClient, master: Path, tmp_path: Path
) -> None:
    missing = client.post("/v1/audio/99?language=fr", content=b"x")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_master"
    _published(client, master)
    french = _tone(tmp_path / "fr.m4a", 4).read_bytes()

    answer = client.post(f"/v1/audio/{TITLE}?language=fr&name=Doublage", content=french)
    assert answer.status_code == 201, answer.text
    job = answer.json()
    fetched = _runtime(client).store.fetch(job["source_key"], tmp_path / "joined.mkv")
    streams = probe(fetched).audio_streams
    assert [(s.language, s.title) for s in streams] == [("eng", ""), ("fra", "Doublage")]


@pytest.mark.parametrize(
    ("query", "seconds", "message"),
    [
        ("language=xx", 4, "not a known language tag"),
        ("language=fr", 9, "lasts 9.0 s but the video 4.0 s"),
    ],
)
def test_a_wrong_audio_file_is_refused_before_any_job(
    client: TestClient, master: Path, tmp_path: Path, query: str, seconds: float, message: str
) -> None:
    _published(client, master)
    before = len(client.get("/v1/jobs").json())
    audio = _tone(tmp_path / "a.m4a", seconds).read_bytes()
    answer = client.post(f"/v1/audio/{TITLE}?{query}", content=audio)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_audio" and message in error["message"]
    not_audio = client.post(f"/v1/audio/{TITLE}?language=fr", content=b"not audio at all")
    assert not_audio.status_code == 422 and not_audio.json()["error"]["code"] == "invalid_audio"
    assert len(client.get("/v1/jobs").json()) == before
