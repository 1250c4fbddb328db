"""`DataMemo` over a real SQLite file: kept until anyone commits, never stale, off without one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from vodstack.core.data_memo import DataMemo
from vodstack.core.db import SqliteDataVersion


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, SqliteDataVersion]]:
    path = tmp_path / "memo.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO t VALUES (1, 'one')")
    version = SqliteDataVersion(path)
    yield path, version
    version.close()


def _reader(path: Path, reads: list[int]) -> str:
    reads.append(1)
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT v FROM t WHERE k = 1").fetchone()[0])


def test_kept_until_another_connection_commits(database: tuple[Path, SqliteDataVersion]) -> None:
    path, version = database
    memo: DataMemo[int, str] = DataMemo(version)
    reads: list[int] = []
    assert memo.get(1) is None
    assert memo.load(1, lambda: _reader(path, reads)) == "one"
    assert memo.get(1) == "one"
    assert memo.get(1) == "one"
    assert len(reads) == 1

    with sqlite3.connect(path) as writer:  # another connection, as another process would be
        writer.execute("UPDATE t SET v = 'uno' WHERE k = 1")
    assert memo.get(1) is None
    assert memo.load(1, lambda: _reader(path, reads)) == "uno"
    assert memo.get(1) == "uno"


def test_a_write_during_the_read_leaves_nothing_stale(
    database: tuple[Path, SqliteDataVersion],
) -> None:
    path, version = database
    memo: DataMemo[int, str] = DataMemo(version)

    def read_then_someone_writes() -> str:
        value = _reader(path, [])
        with sqlite3.connect(path) as writer:
            writer.execute("UPDATE t SET v = 'later' WHERE k = 1")
        return value

    assert memo.load(1, read_then_someone_writes) == "one"
    assert memo.get(1) is None  # "one" was kept under the version before the write


def test_without_a_version_nothing_is_kept(database: tuple[Path, SqliteDataVersion]) -> None:
    path, _ = database
    memo: DataMemo[int, str] = DataMemo(None)
    reads: list[int] = []
    assert memo.load(1, lambda: _reader(path, reads)) == "one"
    assert memo.get(1) is None
    assert memo.load(1, lambda: _reader(path, reads)) == "one"
    assert len(reads) == 2


def test_bounded(database: tuple[Path, SqliteDataVersion]) -> None:
    _, version = database
    memo: DataMemo[int, int] = DataMemo(version, max_entries=2)
    for key in (1, 2, 3):
        memo.load(key, lambda key=key: key * 10)  # type: ignore[misc]
    assert memo.get(3) == 30
    assert memo.get(1) is None
