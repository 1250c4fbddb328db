"""Eviction policies: which cached object leaves first when the disk budget is spent.

The cache tells a policy about every insert, hit and removal and asks it for a victim; the
policy never touches files and never learns the capacity (a policy that needs proportions,
like S3-FIFO's small queue, takes them relative to the bytes it tracks, which equal the
budget whenever a victim is wanted). Every implementation passes
`tests/cdn/test_eviction_contract.py`; `policies.make_policy` builds one from settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class EvictionPolicy(ABC, Generic[K]):
    """Tracks cached keys; `victim()` names the next one to evict (without removing it)."""

    @abstractmethod
    def insert(self, key: K, size: int) -> None:
        """A new object entered the cache (re-inserting an existing key refreshes it)."""

    @abstractmethod
    def touch(self, key: K) -> None:
        """The object was served from the cache; unknown keys are ignored."""

    @abstractmethod
    def remove(self, key: K) -> None:
        """The object left the cache; unknown keys are ignored.

        Removing the key `victim()` just named is an eviction; any other removal is not.
        """

    @abstractmethod
    def victim(self) -> K | None:
        """The key to evict next, or None when empty; asking again gives the same key."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __contains__(self, key: object) -> bool: ...


class _OrderedPolicy(EvictionPolicy[K]):
    """Keys in eviction order, oldest first; subclasses decide what a hit does."""

    def __init__(self) -> None:
        self._order: OrderedDict[K, int] = OrderedDict()

    def insert(self, key: K, size: int) -> None:
        self._order[key] = size
        self._order.move_to_end(key)

    def remove(self, key: K) -> None:
        self._order.pop(key, None)

    def victim(self) -> K | None:
        return next(iter(self._order), None)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._order


class LruPolicy(_OrderedPolicy[K]):
    """Least recently used: a hit moves the key to the back of the queue."""

    def touch(self, key: K) -> None:
        if key in self._order:
            self._order.move_to_end(key)


class FifoPolicy(_OrderedPolicy[K]):
    """First in, first out: hits change nothing (cheap; fine when popularity is flat)."""

    def touch(self, key: K) -> None:
        return None
