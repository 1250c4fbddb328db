"""The shared registry: instances of every host in one Redis (`redis.url` set).

The SQLite registry is one file, so one host; this one is what several hosts (or a cluster's
pods) register in. Layout, under `prefix:registry`: a hash `instances` (member -> the
instance as JSON) and a sorted set `renewed` (member -> renewal time). A lease runs `lease_s`
from its last renewal on the Redis server's clock by default (`TIME`, one clock for every
host; each host's CLOCK_MONOTONIC, which the SQLite registry uses, starts at its own boot).
Renew and evict are Lua scripts, so a renewal racing an eviction either lands first (the
instance stays) or reports False (its owner registers it again): never a renewed lease
deleted. Both keys get a Redis TTL far beyond any lease, refreshed on every write, so a
platform that stops for good leaves nothing behind.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from redis.exceptions import RedisError

from vodstack.discovery.registry import Clock, Instance, Lease, Registry, RegistryUnavailable

# KEYS: instances hash, renewed zset. ARGV: member, now, keys' TTL ms.
_RENEW = """
if redis.call('ZSCORE', KEYS[2], ARGV[1]) == false then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""
# KEYS: instances hash, renewed zset. ARGV: cutoff (leases renewed before it ran out).
_EVICT = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
local out = {}
for _, member in ipairs(gone) do
  local instance = redis.call('HGET', KEYS[1], member)
  if instance then
    table.insert(out, instance)
  end
  redis.call('HDEL', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
end
return out
"""
# Keys of a registry nobody writes to any more disappear after this long.
_KEY_TTL_MS = 24 * 3600 * 1000


def _member(service: str, instance_id: str) -> str:
    return f"{service}\x00{instance_id}"


def _dump(instance: Instance) -> str:
    return json.dumps(
        {
            "service": instance.service,
            "instance_id": instance.instance_id,
            "url": instance.url,
            "region": instance.region,
        }
    )


def _load(raw: bytes | str) -> Instance:
    data = json.loads(raw)
    return Instance(data["service"], data["instance_id"], data["url"], data["region"])


class RedisRegistry(Registry):
    def __init__(
        self,
        url: str,
        lease_s: float,
        *,
        prefix: str = "vodstack",
        timeout_s: float = 1.0,
        retry_s: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._url = url
        self._retry_s = retry_s
        self._paused_until = 0.0
        super().__init__(lease_s, clock or self._server_time)
        self._instances = f"{prefix}:registry:instances"
        self._renewed = f"{prefix}:registry:renewed"
        self._renew = self._redis.register_script(_RENEW)
        self._evict = self._redis.register_script(_EVICT)

    def _call(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        # Callers (the supervisor's loop, a client refreshing its list) block on this: after a
        # failure, fail at once for `retry_s` rather than wait out a timeout per call.
        if time.monotonic() < self._paused_until:
            raise RegistryUnavailable(f"registry in Redis at {self._url}: unreachable, paused")
        try:
            return call(*args, **kwargs)
        except (RedisError, OSError) as exc:
            self._paused_until = time.monotonic() + self._retry_s
            raise RegistryUnavailable(f"registry in Redis at {self._url}: {what}: {exc}") from exc

    def _server_time(self) -> float:
        seconds, micros = self._call("TIME", self._redis.time)
        return float(seconds) + float(micros) / 1_000_000

    def register(self, instance: Instance) -> None:
        member = _member(instance.service, instance.instance_id)
        now = self.clock()
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._instances, member, _dump(instance))
        pipe.zadd(self._renewed, {member: now})
        pipe.pexpire(self._instances, _KEY_TTL_MS)
        pipe.pexpire(self._renewed, _KEY_TTL_MS)
        self._call("register", pipe.execute)

    def renew(self, service: str, instance_id: str) -> bool:
        keys = [self._instances, self._renewed]
        args = [_member(service, instance_id), repr(self.clock()), _KEY_TTL_MS]
        return bool(self._call("renew", self._renew, keys=keys, args=args))

    def deregister(self, service: str, instance_id: str) -> None:
        member = _member(service, instance_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hdel(self._instances, member)
        pipe.zrem(self._renewed, member)
        self._call("deregister", pipe.execute)

    def leases(self) -> list[Lease]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(self._instances)
        pipe.zrange(self._renewed, 0, -1, withscores=True)
        instances, renewed = self._call("leases", pipe.execute)
        times = {member: float(score) for member, score in renewed}
        leases = [
            Lease(_load(raw), times[member]) for member, raw in instances.items() if member in times
        ]
        return sorted(
            leases, key=lambda lease: (lease.instance.service, lease.instance.instance_id)
        )

    def evict(self) -> list[Instance]:
        cutoff = repr(self.clock() - self.lease_s)
        gone = self._call(
            "evict", self._evict, keys=[self._instances, self._renewed], args=[cutoff]
        )
        return sorted((_load(raw) for raw in gone), key=lambda i: (i.service, i.instance_id))

    def forget_all(self) -> None:
        """Delete every entry (tests; an operator resetting a platform that is stopped)."""
        self._call("reset", self._redis.delete, self._instances, self._renewed)

    def close(self) -> None:
        self._redis.close()
