"""An `AnswerStore` (core.answer_store) whose answers are dropped a group at a time.

`MemoryAnswers` starts over whenever its data's version moves, which suits data written a few
times a day (a catalog). Some answers are built from data written all the time, but each from a
small part of it: a profile's home rows depend on that profile's viewing, and viewers write
their viewing every few seconds. Starting over on every write would keep nothing; here each
answer belongs to a group (`group_of(key)`: the profile in the URL) and the owner drops the
groups that changed (`drop`: named by a change feed, or by a write it applied itself), or
everything (`drop_all`: what every answer depends on changed, a model or a snapshot).

The "version" `lookup` hands out is a counter moved by every drop: `put` keeps an answer only
if neither its group nor everything was dropped after its lookup, so an answer computed from
data read before a drop is never kept after it. While `vouched()` says no (the owner's change
feed cannot be read) nothing is answered or kept: every request is computed, as with no cache.
An answer with an `expires` already past (a route marking a degraded answer, `good_until` in
core.answer_cache) is not kept either.

Thread-safe: drops may come from a consumer's thread while the event loop looks up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from vodstack.core.answer_store import DEFAULT_MAX_BYTES, Answer, AnswerStore, Clock

GroupOf = Callable[[str], int]

# The groups dropped are remembered for one to two of these (two maps, rotated): an answer
# whose lookup is older than that is not kept (no fill takes that long). Past MAX_DROPPED groups
# in one period a drop of everything is cheaper than the bookkeeping, and as correct.
REMEMBER_S = 30.0
MAX_DROPPED = 200_000


class KeyedAnswers(AnswerStore):
    """Answers kept by group until the group, or everything, is dropped."""

    def __init__(
        self,
        group_of: GroupOf,
        *,
        vouched: Callable[[], bool],
        clock: Clock = time.time,
        max_bytes: int = DEFAULT_MAX_BYTES,
        monotonic: Clock = time.monotonic,
    ) -> None:
        self._group_of = group_of
        self._vouched = vouched
        self._clock = clock
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._answers: dict[int, dict[str, Answer]] = {}
        self._bytes = 0
        self._count = 0
        self._epoch = 1  # moved by every drop
        self._all_dropped = 0  # the epoch of the last drop of everything
        # group -> the epoch of its last drop: this period's, and the one before
        self._dropped: dict[int, int] = {}
        self._dropped_before: dict[int, int] = {}
        self._floor = 0  # a lookup before this epoch is too old to judge: not kept
        self._period_epoch = 1
        self._monotonic = monotonic
        self._period_start = monotonic()
        self.hits = 0

    async def lookup(self, key: str) -> tuple[int, Answer | None] | None:
        if not self._vouched():
            return None
        group = self._group_of(key)
        with self._lock:
            answer = self._answers.get(group, {}).get(key)
            self.hits += answer is not None
            return self._epoch, answer

    async def put(self, version: int, key: str, answer: Answer) -> None:
        if not answer.live(self._clock) or not self._vouched():
            return
        group = self._group_of(key)
        size = len(key) + len(answer.body)
        with self._lock:
            if (
                version < max(self._all_dropped, self._floor)
                or version < self._dropped.get(group, 0)
                or version < self._dropped_before.get(group, 0)
            ):
                return  # read before a drop of its data: maybe stale already
            if self._bytes + size > self._max_bytes:
                self._forget()  # a bound on memory: nothing goes stale by it
            kept = self._answers.setdefault(group, {})
            old = kept.get(key)
            if old is None:
                self._count += 1
            else:
                self._bytes -= len(key) + len(old.body)
            kept[key] = answer
            self._bytes += size

    async def changed(self) -> None:
        # A write through this service (a training run): whatever it changed, drop it all.
        self.drop_all()

    def drop(self, groups: Iterable[int]) -> None:
        """These groups' data changed: forget their answers and any being computed."""
        with self._lock:
            self._rotate()
            self._epoch += 1
            for group in groups:
                self._dropped[group] = self._epoch
                for key, answer in self._answers.pop(group, {}).items():
                    self._bytes -= len(key) + len(answer.body)
                    self._count -= 1
            if len(self._dropped) > MAX_DROPPED:
                self._drop_all()

    def drop_all(self) -> None:
        """Something every answer depends on changed: forget them all."""
        with self._lock:
            self._drop_all()

    def holds(self, key: str) -> bool:
        """Whether an answer is kept for `key` (vouched for or not)."""
        with self._lock:
            return key in self._answers.get(self._group_of(key), {})

    @property
    def kept(self) -> int:
        """How many answers are kept now."""
        return self._count

    def _rotate(self) -> None:
        now = self._monotonic()
        if now - self._period_start < REMEMBER_S:
            return
        # The drops of the period before last are forgotten: a lookup from before this period
        # began may have missed one of them, so none of those is kept any more.
        self._floor = self._period_epoch
        self._dropped_before = self._dropped
        self._dropped = {}
        self._period_epoch = self._epoch
        self._period_start = now

    def _drop_all(self) -> None:
        self._epoch += 1
        self._all_dropped = self._epoch
        self._dropped.clear()
        self._dropped_before.clear()
        self._forget()

    def _forget(self) -> None:
        self._answers.clear()
        self._bytes = 0
        self._count = 0
