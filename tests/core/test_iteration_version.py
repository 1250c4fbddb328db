"""IterationVersion (core.iteration_version) reads the data's version once per event-loop
iteration: a commit is seen from the next iteration on, a write through the store is seen at
once, off the loop every call reads, and "cannot tell" is never kept."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from vodstack.core.answer_store import MemoryAnswers
from vodstack.core.db import SqliteDataVersion
from vodstack.core.iteration_version import IterationVersion


class Counting:
    def __init__(self, value: int | None = 1) -> None:
        self.value, self.reads = value, 0

    def __call__(self) -> int | None:
        self.reads += 1
        return self.value


def sqlite_file(tmp_path: Path) -> tuple[sqlite3.Connection, Path]:
    path = tmp_path / "data.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")  # as the services' engines set it (core.db)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.commit()
    return writer, path


def test_on_a_loop_one_read_per_iteration() -> None:
    version = Counting()
    kept = IterationVersion(version)

    async def run() -> None:
        assert [kept() for _ in range(5)] == [1] * 5
        assert version.reads == 1
        await asyncio.sleep(0)  # the next iteration
        assert kept() == 1
        assert version.reads == 2

    asyncio.run(run())


def test_a_commit_by_another_connection_is_seen_from_the_next_iteration(tmp_path: Path) -> None:
    writer, path = sqlite_file(tmp_path)
    data_version = SqliteDataVersion(path)
    kept = IterationVersion(data_version)

    async def run() -> None:
        before = kept()
        writer.execute("INSERT INTO t VALUES (1)")
        writer.commit()
        # A request of this iteration was read from its socket before the version was: it is
        # concurrent with the commit (core.iteration_version), and may be answered without it.
        assert kept() == before
        await asyncio.sleep(0)
        # Any request read after the commit is looked up in a later iteration: it sees it.
        assert kept() != before
        assert kept() == data_version()

    try:
        asyncio.run(run())
    finally:
        data_version.close()
        writer.close()


def test_a_write_through_the_store_is_seen_in_the_same_iteration(tmp_path: Path) -> None:
    writer, path = sqlite_file(tmp_path)
    data_version = SqliteDataVersion(path)
    store = MemoryAnswers(data_version, per_iteration=True)

    async def run() -> None:
        found = await store.lookup("/x?")
        assert found is not None
        writer.execute("INSERT INTO t VALUES (1)")
        writer.commit()
        await store.changed()  # what AnswerCache does before a write's answer goes out
        after = await store.lookup("/x?")
        assert after is not None and after[0] != found[0]

    try:
        asyncio.run(run())
    finally:
        data_version.close()
        writer.close()


def test_off_the_loop_every_call_reads() -> None:
    version = Counting()
    kept = IterationVersion(version)
    for _ in range(3):
        assert kept() == 1
    assert version.reads == 3


def test_cannot_tell_is_asked_again() -> None:
    version = Counting(None)
    kept = IterationVersion(version)

    async def run() -> None:
        assert kept() is None
        version.value = 7
        assert kept() == 7
        assert version.reads == 2

    asyncio.run(run())


def test_a_kept_version_belongs_to_its_loop() -> None:
    version = Counting()
    kept = IterationVersion(version)

    async def run() -> int | None:
        return kept()

    asyncio.run(run())
    version.value = 2
    # A loop that ended with its forget callback never run: another loop still reads anew.
    assert asyncio.run(run()) == 2
