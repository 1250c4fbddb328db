"""The WAL-index header lets the data version skip its PRAGMA only while nothing committed."""

from __future__ import annotations

import mmap
import sqlite3
import subprocess
import sys
from pathlib import Path

from vodstack.core.db import SqliteDataVersion
from vodstack.core.wal_header import WalHeader


def _database(path: Path, mode: str = "wal") -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={mode}")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    return conn


def _pragmas(version: SqliteDataVersion) -> list[str]:
    """The statements the version's own connection runs from now on."""
    seen: list[str] = []
    conn = version._conn
    assert conn is not None
    conn.set_trace_callback(seen.append)
    return seen


def test_no_commit_no_statement_and_every_commit_moves_the_version(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    writer = _database(path)
    version = SqliteDataVersion(path)
    first = version()
    version()  # the header is opened after the first PRAGMA and read from the second on
    statements = _pragmas(version)
    assert [version() for _ in range(50)] == [first] * 50
    assert statements == []  # answered from the header alone
    seen = {first}
    for n in range(100):
        writer.execute("INSERT INTO t VALUES (?)", (n,))
        writer.commit()
        now = version()
        assert now not in seen, f"commit {n} did not move the version"
        seen.add(now)
    assert len(statements) >= 100  # each commit sent it back to SQLite
    version.close()


def test_commits_by_another_process_and_a_checkpoint_move_it(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    _database(path).close()
    version = SqliteDataVersion(path)
    version()
    before = version()
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('INSERT INTO t VALUES (1)'); c.commit()\n"
        "c.execute('PRAGMA wal_checkpoint(TRUNCATE)')\n"
        "c.execute('INSERT INTO t VALUES (2)'); c.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    after = version()
    assert after != before
    assert version() == after  # and it stays put until the next commit
    version.close()


def test_a_file_not_in_wal_mode_is_asked_every_time(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer = _database(path, mode="delete")
    version = SqliteDataVersion(path)
    before = version()
    statements = _pragmas(version)
    assert version() == before
    assert statements == ["PRAGMA data_version"]
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    assert version() != before
    version.close()


def test_copies_that_differ_are_a_header_being_written() -> None:
    view = mmap.mmap(-1, 96)
    view[0:48] = bytes(range(48))
    view[48:96] = bytes(range(48))
    header = WalHeader(view)
    assert header.snapshot() == bytes(range(48))
    view[50] = 255  # the writer has begun on the second copy
    assert header.snapshot() is None
    header.close()


def test_no_shm_no_header(tmp_path: Path) -> None:
    assert WalHeader.open(tmp_path / "missing.db") is None


def test_a_file_switched_to_wal_after_the_first_call_gets_the_header(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    writer = _database(path, mode="delete")
    version = SqliteDataVersion(path)
    before = version()
    writer.execute("PRAGMA journal_mode=WAL")  # as the service's engine does on connect
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    moved = version()
    assert moved != before
    version()  # the header read before this PRAGMA is the one the next calls compare
    statements = _pragmas(version)
    assert [version() for _ in range(10)] == [moved] * 10
    assert statements == []
    version.close()
