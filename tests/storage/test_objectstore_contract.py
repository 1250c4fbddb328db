"""The object store contract: every backend runs this one suite (S3 on a real SeaweedFS)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vodstack.storage import (
    InvalidKeyError,
    LocalObjectStore,
    ObjectExistsError,
    ObjectNotFoundError,
    ObjectStore,
)

StoreFactory = Callable[[pytest.FixtureRequest, Path], ObjectStore]

BACKENDS: dict[str, StoreFactory] = {
    "local": lambda _, tmp: LocalObjectStore(tmp / "objects"),
    "s3": lambda request, _: request.getfixturevalue("seaweedfs").new_store(),
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    yield BACKENDS[request.param](request, tmp_path)


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_put_bytes_then_read_back(store: ObjectStore) -> None:
    store.put_bytes("a/b/c.bin", b"hello")
    assert store.exists("a/b/c.bin")
    assert store.read_bytes("a/b/c.bin") == b"hello"
    assert store.size("a/b/c.bin") == 5


def test_put_file_copies_and_move_consumes(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "src.mp4"
    source.write_bytes(b"x" * 3000)
    store.put_file("masters/1/u.mp4", source)
    assert source.exists()
    store.put_file("masters/1/v.mp4", source, move=True)
    assert not source.exists()
    assert store.read_bytes("masters/1/v.mp4") == b"x" * 3000


def test_put_replaces_whole_object(store: ObjectStore) -> None:
    store.put_bytes("k", b"old-old-old")
    store.put_bytes("k", b"new")
    assert store.read_bytes("k") == b"new"


def test_missing_object_raises_not_found(store: ObjectStore, tmp_path: Path) -> None:
    assert not store.exists("nope/x")
    with pytest.raises(ObjectNotFoundError):
        store.open("nope/x")
    with pytest.raises(ObjectNotFoundError):
        store.size("nope/x")
    with pytest.raises(ObjectNotFoundError), store.readable_path("nope/x", tmp_path):
        pass


def test_a_prefix_is_not_an_object(store: ObjectStore) -> None:
    store.put_bytes("dir/file", b"1")
    assert not store.exists("dir")


def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    for key in ["t/2/b", "t/1/a", "t/10/c", "u/1"]:
        store.put_bytes(key, b".")
    assert store.list("t/1/") == ["t/1/a"]
    assert store.list("t/1") == ["t/1/a", "t/10/c"]
    assert store.list("t/") == ["t/1/a", "t/10/c", "t/2/b"]
    assert store.list() == ["t/1/a", "t/10/c", "t/2/b", "u/1"]
    assert store.list("zzz/") == []


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.put_bytes("d/x", b"1")
    store.delete("d/x")
    store.delete("d/x")
    assert not store.exists("d/x")
    assert store.list("d/") == []


def test_delete_prefix_removes_tree_only(store: ObjectStore) -> None:
    for key in ["w/7/a", "w/7/sub/b", "w/70/c"]:
        store.put_bytes(key, b".")
    assert store.delete_prefix("w/7") == 2
    assert store.list("w/") == ["w/70/c"]
    assert store.delete_prefix("w/7") == 0


@pytest.mark.parametrize(
    "key",
    ["", "/abs", "../up", "a/../b", "a\\b", "a//b", "a/", "./a", "a/.hidden", "nul\x00", "sp ace"],
)
def test_unsafe_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidKeyError):
        store.exists(key)


def test_publish_dir_appears_whole(store: ObjectStore, tmp_path: Path) -> None:
    staged = _tree(tmp_path / "stage", {"master.m3u8": b"#EXTM3U", "360p/init.mp4": b"i"})
    store.publish_dir(staged, "titles/1/v1")
    assert store.list("titles/1/v1/") == ["titles/1/v1/360p/init.mp4", "titles/1/v1/master.m3u8"]
    assert not staged.exists()


def test_publish_dir_refuses_to_overwrite(store: ObjectStore, tmp_path: Path) -> None:
    store.publish_dir(_tree(tmp_path / "one", {"a": b"1"}), "titles/1/v1")
    with pytest.raises(ObjectExistsError):
        store.publish_dir(_tree(tmp_path / "two", {"b": b"2"}), "titles/1/v1")
    assert store.list("titles/1/v1/") == ["titles/1/v1/a"]
    assert store.read_bytes("titles/1/v1/a") == b"1"


def test_concurrent_writers_never_tear_an_object(store: ObjectStore) -> None:
    payloads = [bytes([n]) * 200_000 for n in range(8)]

    def write(data: bytes) -> None:
        for _ in range(5):
            store.put_bytes("race/obj", data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read_bytes("race/obj") in payloads


def test_readable_path_gives_the_bytes(store: ObjectStore, tmp_path: Path) -> None:
    store.put_bytes("m/x.mp4", b"media")
    with store.readable_path("m/x.mp4", tmp_path / "scratch") as path:
        assert path.read_bytes() == b"media"
    fetched = store.fetch("m/x.mp4", tmp_path / "out" / "x.mp4")
    assert fetched.read_bytes() == b"media"


def test_internal_temp_files_are_invisible(store: ObjectStore, tmp_path: Path) -> None:
    store.put_bytes("a", b"1")
    store.publish_dir(_tree(tmp_path / "s", {"f": b"2"}), "titles/9/v")
    assert store.list() == ["a", "titles/9/v/f"]


def test_stat_gives_size_and_modification_time(store: ObjectStore) -> None:
    before = int(time.time())
    store.put_bytes("titles/1/v1/a.m4s", b"x" * 300)
    info = store.stat("titles/1/v1/a.m4s")
    assert info.size == 300
    assert before - 1 <= info.modified <= int(time.time()) + 1
    with pytest.raises(ObjectNotFoundError):
        store.stat("titles/1/v1/missing.m4s")
    with pytest.raises(ObjectNotFoundError):
        store.stat("titles/1/v1")  # a prefix is not an object


def test_open_range_reads_the_span(store: ObjectStore) -> None:
    store.put_bytes("titles/1/v1/seg.m4s", bytes(range(256)) * 4)
    with store.open_range("titles/1/v1/seg.m4s", 10, 20) as reader:
        assert reader.read(10) == bytes(range(10, 20))
    with store.open_range("titles/1/v1/seg.m4s", 1000, 1024) as reader:
        assert reader.read(24) == bytes(range(232, 256))
    with pytest.raises(ObjectNotFoundError):
        store.open_range("titles/1/v1/missing.m4s", 0, 10)


def test_open_with_info_gives_size_time_and_bytes(store: ObjectStore) -> None:
    store.put_bytes("titles/1/v1/seg.m4s", b"y" * 1000)
    info, reader = store.open_with_info("titles/1/v1/seg.m4s")
    with reader:
        assert reader.read() == b"y" * 1000
    assert info == store.stat("titles/1/v1/seg.m4s")
    with pytest.raises(ObjectNotFoundError):
        store.open_with_info("titles/1/v1/missing.m4s")
