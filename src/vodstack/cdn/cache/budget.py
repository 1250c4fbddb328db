"""Which objects a cache of so many bytes holds: the byte budget around an eviction policy.

This is the eviction logic of an edge (`DiskCache` keeps one) with nothing else in it, so
the offline replay (`cdn.cache.replay`) runs exactly the code the edges run, objects being
only keys and sizes there. A fill first reserves its bytes (evicting until they fit), then
commits; in the replay both happen at once (`admit`). A viewer's miss names its title and
time to `admits`, where an optional `TitleAdmission` may refuse to keep it (served, not
cached); a planned fill or an index rebuilt from disk names none and is always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic

from vodstack.cdn.cache.admission import TitleAdmission
from vodstack.cdn.cache.eviction import EvictionPolicy, K


class ByteBudget(Generic[K]):
    """Keys and sizes held within `capacity_bytes`; `on_evict` hears of every eviction."""

    def __init__(
        self,
        capacity_bytes: int,
        policy: EvictionPolicy[K],
        on_evict: Callable[[K], None] | None = None,
        admission: TitleAdmission[Hashable] | None = None,
    ) -> None:
        self.capacity_bytes = capacity_bytes
        self.policy = policy
        self.sizes: dict[K, int] = {}
        self.used_bytes = 0
        self.reserved_bytes = 0
        self.evictions = 0
        self._on_evict = on_evict
        self.admission = admission

    def __contains__(self, key: object) -> bool:
        return key in self.sizes

    def __len__(self) -> int:
        return len(self.sizes)

    @property
    def refused(self) -> int:
        """Misses the admission filter served without keeping."""
        return self.admission.refused if self.admission is not None else 0

    def admits(self, title: Hashable | None, when_s: float) -> bool:
        """Whether a miss of `title` at `when_s` is kept (None: a planned fill, always)."""
        return title is None or self.admission is None or self.admission.admits(title, when_s)

    def reserve(self, size: int) -> bool:
        """Make room for an incoming object; False if it cannot fit even in an empty cache.

        The edge asks `admits` first for a viewer's miss (the replay's `admit` does both)."""
        if size > self.capacity_bytes or not self.make_room(size):
            return False
        self.reserved_bytes += size
        return True

    def release(self, size: int) -> None:
        """Give back a reservation whose fill failed."""
        self.reserved_bytes -= size

    def commit(self, key: K, size: int) -> None:
        """The reserved object is in; a key already held is replaced."""
        self.reserved_bytes -= size
        self.add(key, size)

    def admit(self, key: K, size: int, title: Hashable | None = None, when_s: float = 0.0) -> bool:
        """Reserve and commit at once (the replay's fill); False if it is not kept."""
        if size > self.capacity_bytes or not self.admits(title, when_s) or not self.make_room(size):
            return False
        self.add(key, size)
        return True

    def add(self, key: K, size: int) -> None:
        """Track an object without reserving for it (an index rebuilt from disk)."""
        if key in self.sizes:
            self.remove(key)
        self.sizes[key] = size
        self.policy.insert(key, size)
        self.used_bytes += size

    def remove(self, key: K) -> None:
        size = self.sizes.pop(key, None)
        self.policy.remove(key)
        if size is not None:
            self.used_bytes -= size

    def make_room(self, incoming: int) -> bool:
        """Evict until `incoming` more bytes fit; False if the policy runs out of victims."""
        limit = self.capacity_bytes - incoming - self.reserved_bytes
        if self.used_bytes <= limit:
            return True
        # Hot in the replay (once per miss of a full cache): locals, `remove` inlined.
        policy, sizes, on_evict = self.policy, self.sizes, self._on_evict
        while self.used_bytes > limit:
            victim = policy.victim()
            if victim is None:
                return False
            self.used_bytes -= sizes.pop(victim, 0)
            policy.remove(victim)
            self.evictions += 1
            if on_evict is not None:
                on_evict(victim)
        return True
