"""What only the S3 backend has to show: multipart uploads, publishing without rename, outages."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.support.ports import free_port
from tests.support.seaweedfs import SeaweedFS
from vodstack.config import load_settings
from vodstack.config.settings import StorageBackend, StorageSettings
from vodstack.storage import ObjectExistsError, ObjectStoreUnavailable, prepare_object_store
from vodstack.storage.publish import PUBLISHED_MARKER, publish_batches
from vodstack.storage.s3 import S3ObjectStore


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_a_big_master_goes_up_as_a_multipart_upload(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    store = seaweedfs.new_store()  # 5 MiB parts
    master = tmp_path / "master.mp4"
    master.write_bytes(bytes(range(256)) * (11 * 4096))  # 11 MiB: three parts
    store.put_file("masters/1/u.mp4", master, move=True)
    head = store.client.head_object(Bucket=store.bucket, Key="masters/1/u.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # S3's mark of a 3-part upload
    assert not master.exists()
    fetched = store.fetch("masters/1/u.mp4", tmp_path / "back.mp4")
    assert fetched.read_bytes() == bytes(range(256)) * (11 * 4096)


def test_manifests_go_up_after_what_they_name(tmp_path: Path) -> None:
    staged = _tree(
        tmp_path / "v",
        {
            "master.m3u8": b"",
            "asset.json": b"",
            "360p/index.m3u8": b"",
            "360p/init.mp4": b"",
            "360p/seg_1.m4s": b"",
            "poster.jpg": b"",
        },
    )
    batches = [
        [p.relative_to(staged).as_posix() for p in batch] for batch in publish_batches(staged)
    ]
    assert batches == [
        ["360p/init.mp4", "360p/seg_1.m4s", "poster.jpg"],
        ["360p/index.m3u8"],
        ["asset.json", "master.m3u8"],
    ]


def test_a_publish_that_died_midway_can_be_redone(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    store = seaweedfs.new_store()
    store.put_bytes("titles/1/v1/360p/seg_1.m4s", b"half")  # no marker: never published
    store.publish_dir(_tree(tmp_path / "s", {"360p/seg_1.m4s": b"whole", "a": b"1"}), "titles/1/v1")
    assert store.read_bytes("titles/1/v1/360p/seg_1.m4s") == b"whole"
    store.client.head_object(Bucket=store.bucket, Key=f"titles/1/v1/{PUBLISHED_MARKER}")
    with pytest.raises(ObjectExistsError):
        store.publish_dir(_tree(tmp_path / "t", {"a": b"2"}), "titles/1/v1")
    assert store.read_bytes("titles/1/v1/a") == b"1"


def test_an_endpoint_that_is_down_is_unavailable_not_a_crash(seaweedfs: SeaweedFS) -> None:
    settings = seaweedfs.settings("any").model_copy(
        update={"s3_endpoint": f"http://127.0.0.1:{free_port()}", "s3_max_attempts": 1}
    )
    store = S3ObjectStore.from_settings(settings)
    with pytest.raises(ObjectStoreUnavailable, match="unreachable"):
        store.stat("titles/1/v1/master.m3u8")
    with pytest.raises(ObjectStoreUnavailable):
        store.list("titles/")
    with pytest.raises(ObjectStoreUnavailable):
        store.put_bytes("a", b"1")


def test_a_missing_bucket_is_named(seaweedfs: SeaweedFS) -> None:
    store = S3ObjectStore.from_settings(seaweedfs.settings("no-such-bucket"))
    with pytest.raises(ObjectStoreUnavailable, match="bucket"):
        store.list("titles/")


def test_half_a_credential_pair_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="go together"):
        StorageSettings(backend=StorageBackend.S3, s3_access_key="only-the-key")


def test_a_first_start_creates_the_bucket(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    bucket = f"first-{uuid.uuid4().hex[:16]}"
    settings = load_settings(data_dir=tmp_path, storage=seaweedfs.settings(bucket))
    prepare_object_store(settings)
    prepare_object_store(settings)  # a second start finds it there
    store = S3ObjectStore.from_settings(settings.storage)
    store.put_bytes("hello", b"1")
    assert store.list("") == ["hello"]


def test_vodstack_up_refuses_an_object_store_it_cannot_reach(
    seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **seaweedfs.env("any"),
        "VODSTACK_STORAGE__S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "VODSTACK_STORAGE__S3_MAX_ATTEMPTS": "1",
        "VODSTACK_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "vodstack", "up", "--no-demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "object store cannot be used" in result.stdout
    assert "unreachable" in result.stdout
