"""The WAL-index header of a SQLite file in WAL mode: a way to see "no commit since" without a
statement.

Every commit in WAL mode rewrites the header at the start of the file's `-shm` (SQLite's "WAL-
index", shared memory every connection maps): its change counter goes up, and the last frame and
checksums move with it. A new read transaction of SQLite's own compares exactly these bytes
to decide whether its cached pages are still good. The header is kept twice; a writer writes the
second copy, then the first, and a reader reads the first, then the second: two copies that
agree are a header no writer was halfway through (https://www.sqlite.org/walformat.html, "The
WAL-Index Header").

`PRAGMA data_version` costs a statement and a shared lock on the `-shm` (2 µs in-process, a few
system calls); reading the header through a read-only mapping costs two 48-byte copies. The
header is only ever used to skip the PRAGMA when it is byte for byte the one read just before
the last PRAGMA: a commit since then changed it, so the caller asks SQLite again.
"""

from __future__ import annotations

import mmap
from pathlib import Path

_COPY = 48  # sizeof(WalIndexHdr)


class WalHeader:
    """A read-only view of one file's WAL-index header (`path` + "-shm")."""

    def __init__(self, view: mmap.mmap) -> None:
        self._view = view

    @classmethod
    def open(cls, database: Path) -> WalHeader | None:
        """The header of `database`'s `-shm`; None if it has none yet (not in WAL mode, or no
        connection has opened it) or it is shorter than the two copies."""
        try:
            with Path(f"{database}-shm").open("rb") as shm:  # the mapping outlives the file
                return cls(mmap.mmap(shm.fileno(), 2 * _COPY, access=mmap.ACCESS_READ))
        except (OSError, ValueError):  # missing, or too short to map two copies
            return None

    def snapshot(self) -> bytes | None:
        """The header now, or None while a writer is rewriting it (the copies differ)."""
        view = self._view
        first = view[0:_COPY]  # first the first copy, then the second, as SQLite reads them
        if first != view[_COPY : 2 * _COPY]:
            return None
        return first

    def close(self) -> None:
        self._view.close()
