"""Answers of a service's hot reads in Redis, shared by every instance on every host.

Keys, under `prefix:answers:SERVICE`: `v`, the version counter, and
`VERSION:SHA256(PATH?QUERY)`, one answer each (a path can carry a session token, which Redis
must not hold in the clear: the accounts database itself keeps only its digest). A write
through any instance INCRs `v` before its answer goes out, so the next read anywhere looks
under the new version and the old answers are unreachable at once (they expire after `ttl_s`,
which only reclaims memory). An answer filled under version N and put
after a write moved `v` to N+1 lands under N, where nobody looks.

A write can also reach the database without going through an instance's HTTP API (a command
writing the SQLite file directly, a migration). With a local data version (SQLite's
`PRAGMA data_version`) every instance also watches it and bumps `v` when it moves; with
PostgreSQL, only writes through the services' APIs count, which is every write vodstack makes.

Redis down: `lookup()` answers None (the request goes to the app, counted by the guard). A
write whose bump failed is remembered, and the counter is bumped on the next call that reaches
Redis before anything is read from it, so this instance never serves an answer older than its
own write; other instances' entries from before the outage live at most `ttl_s`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vodstack.core.answer_store import Answer, AnswerStore, Version
from vodstack.core.redis_guard import RedisGuard

_STORE = "answers"
# One round trip per read: the version (bumped first when this instance owes a bump), and the
# answer kept under it. KEYS: the version counter. ARGV: "1" to bump, answers' prefix, key.
_LOOKUP = """
local version
if ARGV[1] == '1' then
  version = redis.call('INCR', KEYS[1])
else
  version = tonumber(redis.call('GET', KEYS[1]) or '0')
end
return {version, redis.call('GET', ARGV[2] .. version .. ':' .. ARGV[3])}
"""


def _slot(key: str) -> str:
    return hashlib.sha256(key.encode("latin-1", "replace")).hexdigest()


def _encode(answer: Answer) -> bytes:
    head = json.dumps(
        {
            "h": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in answer.headers],
            "r": answer.route,
            "e": answer.expires,
        }
    ).encode()
    return head + b"\n" + answer.body


def _decode(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\n")
    meta = json.loads(head)
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["h"]]
    return Answer(headers, body, meta["r"], meta.get("e"))


class RedisAnswers(AnswerStore):
    def __init__(
        self,
        guard: RedisGuard,
        service: str,
        *,
        ttl_s: float,
        data_version: Version | None = None,
    ) -> None:
        self._guard = guard
        self._version_key = guard.key(_STORE, service, "v")
        self._answer_prefix = guard.key(_STORE, service, "")
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._data_version = data_version
        self._seen_data_version: int | None = None
        self._unannounced = False  # a write here whose bump has not reached Redis yet

    async def lookup(self, key: str) -> tuple[int, Answer | None] | None:
        bump = self._unannounced
        local: int | None = None
        if self._data_version is not None:
            local = self._data_version()
            if local is None:
                return None
            if local != self._seen_data_version:
                bump = True  # includes the first call: nobody may have seen earlier commits

        async def read(client: Any) -> list[Any]:
            # EVALSHA, loading the script on first use (hashing it costs a microsecond).
            lookup = client.register_script(_LOOKUP)
            args = ["1" if bump else "", self._answer_prefix, _slot(key)]
            found: list[Any] = await lookup(keys=[self._version_key], args=args)
            return found

        found = await self._guard.run(_STORE, "lookup", read, None)
        if found is None:
            return None
        if bump:
            self._unannounced = False
            if local is not None:
                self._seen_data_version = local
        version, raw = found
        return int(version), (_decode(raw) if raw is not None else None)

    async def put(self, version: int, key: str, answer: Answer) -> None:
        value = _encode(answer)

        async def write(client: Any) -> None:
            slot = f"{self._answer_prefix}{version}:{_slot(key)}"
            await client.set(slot, value, px=self._ttl_ms)

        await self._guard.run(_STORE, "put", write, None)

    async def changed(self) -> None:
        async def bump(client: Any) -> bool:
            await client.incr(self._version_key)
            return True

        if not await self._guard.run(_STORE, "changed", bump, False):
            self._unannounced = True
