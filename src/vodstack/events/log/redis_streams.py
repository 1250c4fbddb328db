"""The production backend: one Redis stream per partition.

Stream entry ids are `{offset + 1}-0`, assigned by a Lua script that also checks the dedup set,
so offsets are the same dense integers as the SQLite backend's; a whole batch is one atomic
script call (one round trip, one command for Redis and redis-py rather than one per event).
Committed offsets live in a hash per group (Kafka-style positions rather than XREADGROUP's
pending lists: replay from any offset is then just XRANGE). Durability is Redis's: run it with
`appendonly yes` (AOF) in production. Every key starts with `prefix`, so several platforms (and
tests) share one Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis

from vodstack.events.log.interface import (
    Appended,
    DeadLetter,
    EventLog,
    LogClosed,
    LogUnavailable,
    Record,
)

Clock = Callable[[], float]

# KEYS: the dedup zset, then each partition's head counter and stream (once per partition of the
# batch). ARGV: now, then per event: its partition's place in KEYS (the head's index), dedup id
# ('' = none), key, payload. Returns each event's offset, -1 for a duplicate.
_APPEND = """
local offsets = {}
for i = 1, (#ARGV - 1) / 4 do
  local head, dedup = tonumber(ARGV[4 * i - 2]), ARGV[4 * i - 1]
  if dedup ~= '' and redis.call('ZADD', KEYS[1], 'NX', ARGV[1], dedup) == 0 then
    offsets[i] = -1
  else
    local n = redis.call('INCR', KEYS[head])
    redis.call('XADD', KEYS[head + 1], n .. '-0', 'k', ARGV[4 * i], 'v', ARGV[4 * i + 1],
               't', ARGV[1])
    offsets[i] = n - 1
  end
end
return offsets
"""
# KEYS: dead-letter counter, dead-letter stream. ARGV: group, reason, partition, offset, key,
# payload, appended_at.
_DEAD = """
local n = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], n .. '-0', 'g', ARGV[1], 'r', ARGV[2], 'p', ARGV[3], 'o', ARGV[4],
           'k', ARGV[5], 'v', ARGV[6], 't', ARGV[7])
return n - 1
"""
# A consumer's poll of every partition in one call. KEYS: the group's offsets hash, then each
# partition's stream in order. ARGV: the page size. Returns, per partition with records, a flat
# array: partition, then entry id, key, payload, time per record (the fields as XADD wrote
# them), so the client builds records without redis-py's per-entry dicts.
_POLL = """
local out = {}
for i = 2, #KEYS do
  local partition = i - 2
  local start = tonumber(redis.call('HGET', KEYS[1], tostring(partition)) or '0')
  local entries = redis.call('XRANGE', KEYS[i], (start + 1) .. '-0', '+', 'COUNT', ARGV[1])
  if #entries > 0 then
    local flat = {partition}
    for _, entry in ipairs(entries) do
      local fields = entry[2]
      flat[#flat + 1] = entry[1]
      flat[#flat + 1] = fields[2]
      flat[#flat + 1] = fields[4]
      flat[#flat + 1] = fields[6]
    end
    out[#out + 1] = flat
  end
end
return out
"""
_PAGE = 500


class RedisEventLog(EventLog):
    def __init__(
        self,
        url: str,
        partitions: int,
        *,
        prefix: str = "vodstack:events",
        clock: Clock = time.time,
    ) -> None:
        self.partitions = partitions
        self._prefix = prefix
        self._clock = clock
        # Timeouts: a stalled Redis is an error to answer (503), never a request that hangs.
        self._redis: redis.Redis | None = redis.Redis.from_url(
            url, decode_responses=False, socket_timeout=10.0, socket_connect_timeout=5.0
        )
        self._append = self._redis.register_script(_APPEND)
        self._dead = self._redis.register_script(_DEAD)
        self._poll = self._redis.register_script(_POLL)

    def _client(self) -> Any:
        # redis-py's stubs type every command as `T | Awaitable[T]` (sync and asyncio share
        # them): `Any` here instead of a cast at each call.
        if self._redis is None:
            raise LogClosed("the event log is closed")
        return self._redis

    def _key(self, *parts: object) -> str:
        return ":".join([self._prefix, *map(str, parts)])

    def append(self, key: str, payload: bytes, *, dedup_id: str | None = None) -> Appended:
        return self.append_many([(key, payload, dedup_id)])[0]

    def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Appended]:
        if not items:
            return []
        partitions = [self.partition_of(key) for key, _, _ in items]
        keys = [self._key("dedup")]
        heads: dict[int, int] = {}  # partition -> its head's index in KEYS (Lua counts from 1)
        args: list[str | int | bytes] = [repr(self._clock())]
        for partition, (key, payload, dedup) in zip(partitions, items, strict=True):
            if partition not in heads:
                heads[partition] = len(keys) + 1
                keys += [self._key("head", partition), self._key("p", partition)]
            args += [heads[partition], dedup or "", key, payload]
        with _reachable():
            offsets: list[Any] = self._append(keys=keys, args=args, client=self._client())
        return [
            Appended(p, None, duplicate=True) if int(o) < 0 else Appended(p, int(o))
            for p, o in zip(partitions, offsets, strict=True)
        ]

    def read(self, partition: int, offset: int, limit: int = 100) -> list[Record]:
        entries = self._client().xrange(
            self._key("p", partition), min=f"{offset + 1}-0", count=limit
        )
        return [_record(partition, entry_id, fields) for entry_id, fields in entries]

    def end_offset(self, partition: int) -> int:
        value = self._client().get(self._key("head", partition))
        return int(value) if value is not None else 0

    def committed(self, group: str, partition: int) -> int:
        value = self._client().hget(self._key("offsets", group), str(partition))
        return int(value) if value is not None else 0

    def commit(self, group: str, partition: int, offset: int) -> None:
        self._client().hset(self._key("offsets", group), str(partition), str(offset))

    def poll_all(self, group: str, limit: int = 100) -> dict[int, list[Record]]:
        # One round trip for every partition (a consumer's step), not two per partition.
        keys = [self._key("offsets", group)]
        keys += [self._key("p", partition) for partition in range(self.partitions)]
        pages: list[Any] = self._poll(keys=keys, args=[limit], client=self._client())
        polled = {}
        for page in pages:
            partition = int(page[0])
            polled[partition] = [
                Record(partition, _offset(page[i]), page[i + 1].decode(), page[i + 2],
                       float(page[i + 3]))
                for i in range(1, len(page), 4)
            ]  # fmt: skip
        return polled

    def lag(self, group: str) -> int:
        # Every partition's head and committed offset in one round trip (the events service's
        # back-pressure reads it for each group).
        client = self._client()
        pipe = client.pipeline(transaction=False)
        for partition in range(self.partitions):
            pipe.get(self._key("head", partition))
        pipe.hmget(self._key("offsets", group), [str(p) for p in range(self.partitions)])
        with _reachable():
            *heads, committed = pipe.execute()
        return sum(
            max(0, int(head or 0) - int(done or 0))
            for head, done in zip(heads, committed, strict=True)
        )

    def commit_many(self, group: str, offsets: Mapping[int, int]) -> None:
        if offsets:
            mapping = {str(partition): str(offset) for partition, offset in offsets.items()}
            self._client().hset(self._key("offsets", group), mapping=mapping)

    def now(self) -> float:
        return self._clock()

    def trim(self, older_than: float) -> int:
        client = self._client()
        client.zremrangebyscore(self._key("dedup"), "-inf", f"({older_than!r}")
        return sum(self._trim_partition(p, older_than) for p in range(self.partitions))

    def _trim_partition(self, partition: int, older_than: float) -> int:
        """Find the first entry young enough to keep and cut everything before it."""
        client, stream = self._client(), self._key("p", partition)
        start = "-"
        while entries := client.xrange(stream, min=start, count=_PAGE):
            for entry_id, fields in entries:
                if float(fields[b"t"]) >= older_than:
                    return int(client.xtrim(stream, minid=entry_id.decode(), approximate=False))
            start = "(" + entries[-1][0].decode()
        return int(client.xtrim(stream, maxlen=0, approximate=False))

    def dead_letter(self, group: str, record: Record, reason: str) -> None:
        keys = [self._key("dead", "head"), self._key("dead")]
        args: list[str | int | bytes] = [group, reason, record.partition, record.offset]
        args += [record.key, record.payload, repr(record.appended_at)]
        self._dead(keys=keys, args=args, client=self._client())

    def dead_letters(self, offset: int = 0, limit: int = 100) -> list[DeadLetter]:
        entries = self._client().xrange(self._key("dead"), min=f"{offset + 1}-0", count=limit)
        return [_dead_letter(entry_id, fields) for entry_id, fields in entries]

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None


@contextmanager
def _reachable() -> Iterator[None]:
    """Redis down or stalled past the socket timeout: `LogUnavailable`."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise LogUnavailable(f"Redis is unreachable: {exc}") from exc


def _offset(entry_id: bytes) -> int:
    return int(entry_id.split(b"-", 1)[0]) - 1


def _record(partition: int, entry_id: bytes, fields: dict[bytes, bytes]) -> Record:
    return Record(
        partition, _offset(entry_id), fields[b"k"].decode(), fields[b"v"], float(fields[b"t"])
    )


def _dead_letter(entry_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    record = Record(
        int(fields[b"p"]),
        int(fields[b"o"]),
        fields[b"k"].decode(),
        fields[b"v"],
        float(fields[b"t"]),
    )
    return DeadLetter(_offset(entry_id), fields[b"g"].decode(), fields[b"r"].decode(), record)
