"""The one ingest seam: a submitted master is stored under its key and its job is queued."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.submit import safe_extension, submit_master
from vodstack.storage import ObjectStore


def test_a_copied_master_is_stored_and_queued(
    store: ObjectStore, queue: JobQueue, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    source = tmp_path / "Holiday Film.MOV"
    source.write_bytes(b"master bytes")
    submitted = submit_master(
        store, queue, 7, source, name="abc123", filename=source.name, move=False
    )
    assert submitted.key == "masters/7/abc123.mov"
    assert store.read_bytes(submitted.key) == b"master bytes"
    assert source.exists(), "a copy leaves the operator's file alone"
    job = job_detail(sessions, submitted.job_id)
    assert job.title_id == 7


def test_a_moved_master_consumes_the_upload_part(
    store: ObjectStore, queue: JobQueue, tmp_path: Path
) -> None:
    part = tmp_path / "upload.part"
    part.write_bytes(b"uploaded")
    submitted = submit_master(store, queue, 3, part, name="up1", filename="a.mp4", move=True)
    assert store.read_bytes(submitted.key) == b"uploaded"
    assert not part.exists()


def test_odd_extensions_are_dropped_from_the_key() -> None:
    assert safe_extension("clip.MP4") == ".mp4"
    assert safe_extension("no extension") == ""
    assert safe_extension("evil.mp4/../x") == ""
    assert safe_extension("dir\\name.webm") == ".webm"
