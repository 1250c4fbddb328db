"""What every event log backend promises (Kafka's model, reduced to what vodstack needs).

- `partitions` numbered partitions; a key (the profile id) always lands in the same one, so one
  profile's events stay in order. Each partition numbers its records 0, 1, 2, ... (offsets).
- `append` is idempotent by `dedup_id` (the event id) for as long as records are retained: a
  second append with the same id returns `duplicate=True` and adds nothing.
- Consumer groups keep one committed offset per partition: the next offset the group will read.
  A consumer polls from there, handles the records, then commits; a crash between the two means
  the records are read again (at-least-once), so consumers must be idempotent.
- `read` replays a partition from any retained offset; `trim` drops records older than the
  retention (offsets are never reused; reading below the first retained offset starts there).
- A dead-letter partition holds records a consumer could not handle, with the reason, so one
  poisonous event never blocks a partition.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class LogClosed(RuntimeError):
    """The log was used after `close()`."""


class LogUnavailable(RuntimeError):
    """The log's store cannot be reached or is busy past its timeout: try again later."""


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: str
    payload: bytes
    appended_at: float  # seconds since the epoch, the log's clock


@dataclass(frozen=True)
class Appended:
    partition: int
    offset: int | None  # None when the dedup id was seen before
    duplicate: bool = False


@dataclass(frozen=True)
class DeadLetter:
    offset: int  # in the dead-letter partition
    group: str
    reason: str
    record: Record


def partition_for(key: str, partitions: int) -> int:
    """The partition a key lands in: a stable hash (CRC-32), the same in every process."""
    return zlib.crc32(key.encode()) % partitions


class EventLog(ABC):
    """A partitioned append-only log with consumer groups. Methods block (call them from a
    thread in async code); an instance is safe to share between threads."""

    partitions: int

    def partition_of(self, key: str) -> int:
        return partition_for(key, self.partitions)

    @abstractmethod
    def append(self, key: str, payload: bytes, *, dedup_id: str | None = None) -> Appended:
        """Durably add a record to `key`'s partition (once per `dedup_id`)."""

    def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Appended]:
        """(key, payload, dedup_id) in order; backends may batch the round trips."""
        return [self.append(key, payload, dedup_id=dedup) for key, payload, dedup in items]

    @abstractmethod
    def read(self, partition: int, offset: int, limit: int = 100) -> list[Record]:
        """Up to `limit` records of `partition` from `offset` on (replay)."""

    @abstractmethod
    def end_offset(self, partition: int) -> int:
        """The offset the next record of `partition` will get."""

    @abstractmethod
    def committed(self, group: str, partition: int) -> int:
        """The next offset `group` will read in `partition` (0 for a new group)."""

    @abstractmethod
    def commit(self, group: str, partition: int, offset: int) -> None:
        """Record that `group` has handled everything below `offset` in `partition`."""

    def poll(self, group: str, partition: int, limit: int = 100) -> list[Record]:
        """The records `group` has not committed yet in `partition`, oldest first."""
        return self.read(partition, self.committed(group, partition), limit)

    def poll_all(self, group: str, limit: int = 100) -> dict[int, list[Record]]:
        """`poll` of every partition (up to `limit` records each), keyed by partition, only the
        partitions with records; backends may batch the round trips."""
        polled = {p: self.poll(group, p, limit) for p in range(self.partitions)}
        return {p: records for p, records in polled.items() if records}

    def commit_many(self, group: str, offsets: Mapping[int, int]) -> None:
        """`commit` of several partitions at once ({partition: offset})."""
        for partition, offset in offsets.items():
            self.commit(group, partition, offset)

    def lag(self, group: str) -> int:
        """Records appended but not yet committed by `group`, over all partitions."""
        return sum(
            max(0, self.end_offset(p) - self.committed(group, p)) for p in range(self.partitions)
        )

    @abstractmethod
    def now(self) -> float:
        """The log's clock (epoch seconds), which stamps `appended_at` and the dedup window."""

    @abstractmethod
    def trim(self, older_than: float) -> int:
        """Drop records appended before `older_than` (epoch seconds, `now`'s); returns how many."""

    @abstractmethod
    def dead_letter(self, group: str, record: Record, reason: str) -> None:
        """Park `record`, which `group` could not handle, in the dead-letter partition."""

    @abstractmethod
    def dead_letters(self, offset: int = 0, limit: int = 100) -> list[DeadLetter]:
        """The dead-letter partition from `offset` on."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; further calls raise `LogClosed`."""
