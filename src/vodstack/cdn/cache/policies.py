"""The configured eviction policy by name (`cdn.eviction`), for the edges and the replay."""

from __future__ import annotations

from typing import Any

from vodstack.cdn.cache.eviction import EvictionPolicy, FifoPolicy, LruPolicy
from vodstack.cdn.cache.s3fifo import S3FifoPolicy
from vodstack.cdn.cache.sieve import SievePolicy
from vodstack.config.settings import EvictionKind

_POLICIES: dict[EvictionKind, type[EvictionPolicy[Any]]] = {
    EvictionKind.LRU: LruPolicy,
    EvictionKind.FIFO: FifoPolicy,
    EvictionKind.S3FIFO: S3FifoPolicy,
    EvictionKind.SIEVE: SievePolicy,
}


def make_policy(kind: EvictionKind) -> EvictionPolicy[Any]:
    """A fresh, empty policy of the given kind (keys of any hashable type)."""
    return _POLICIES[kind]()
