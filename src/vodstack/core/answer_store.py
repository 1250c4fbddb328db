"""Where `AnswerCache` keeps answers, and how it learns that the data behind them changed.

The interface is versioned: every request's `lookup` reads the data's version (a number that
changes whenever the data may have changed) and the answer kept under it; answers are stored
under a version, so a new version makes every older answer unreachable at once. `changed()` is
called when a write went through this instance (before its answer is sent, so the writer's
next read cannot meet an older answer). Two implementations:

- `MemoryAnswers` (the default): a dict in this process; the version is the SQLite file's
  `PRAGMA data_version`, which moves on every commit by any process on this host.
- `RedisAnswers` (core.redis_answers): answers shared by every instance of the service on
  every host; the version is a counter in Redis that writes bump.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from vodstack.core.iteration_version import IterationVersion

Version = Callable[[], int | None]  # None: cannot tell now, so do not use the cache
Clock = Callable[[], float]  # seconds; the service's own clock (tests move it)

# A bound on memory, not a policy: past it the cache starts over (scanners and search queries
# can make every URL new; the hot ones come back at once).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    # The matched route's template, for the metrics' route label (core.metrics).
    route: str | None
    # When the answer stops being true with no write at all (a session's end), on the service's
    # clock; None: only a write changes it.
    expires: float | None = None

    def live(self, clock: Clock) -> bool:
        """Whether the answer may still be replayed (the data's version aside)."""
        return self.expires is None or clock() < self.expires


class AnswerStore(ABC):
    # Whether `lookup_now` answers without I/O (in this process): the replay path then skips a
    # coroutine per request.
    in_process = False

    def lookup_now(self, key: str) -> tuple[int, Answer | None] | None:
        """`lookup` without awaiting, for a store whose `in_process` is True."""
        raise NotImplementedError(f"{type(self).__name__} answers only by `lookup`")

    @abstractmethod
    async def lookup(self, key: str) -> tuple[int, Answer | None] | None:
        """The data's version now and the answer kept for `key` under it (None if none);
        None = cannot tell the version now (the request goes to the app, nothing is kept)."""

    @abstractmethod
    async def put(self, version: int, key: str, answer: Answer) -> None:
        """Keep `answer` if `version` is still current (an older one is dropped silently)."""

    @abstractmethod
    async def changed(self) -> None:
        """A write went through this instance: the data may have changed."""


class MemoryAnswers(AnswerStore):
    """Answers in this process, starting over whenever `data_version` moves."""

    def __init__(
        self,
        data_version: Version,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        per_iteration: bool = False,
    ) -> None:
        """`per_iteration`: read the version once per event-loop iteration, not per lookup
        (core.iteration_version says why no request that could know better meets older data:
        it relies on requests arriving through the loop's sockets, as a service's server's do;
        stores standing for several processes on one loop, as in tests, must not use it)."""
        self._per_iteration = IterationVersion(data_version) if per_iteration else None
        self._data_version = self._per_iteration or data_version
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: dict[str, Answer] = {}
        self._seen: int | None = None

    in_process = True

    async def lookup(self, key: str) -> tuple[int, Answer | None] | None:
        return self.lookup_now(key)

    def lookup_now(self, key: str) -> tuple[int, Answer | None] | None:
        version = self._data_version()
        if version is None:
            return None
        if version != self._seen:
            self._forget()
            self._seen = version
        return version, self._answers.get(key)

    async def put(self, version: int, key: str, answer: Answer) -> None:
        # `version` was read before the app ran: a write meanwhile makes this entry stale at
        # once, never a stale entry look fresh.
        if version != self._seen:
            return
        size = len(key) + len(answer.body)
        if self._bytes + size > self._max_bytes:
            self._forget()
        self._bytes += size
        self._answers[key] = answer

    async def changed(self) -> None:
        # The data version moves by itself on the commit (any process, this host); one kept for
        # this iteration is read again, so this instance's next lookup sees the write.
        if self._per_iteration is not None:
            self._per_iteration.forget()

    def _forget(self) -> None:
        self._answers.clear()
        self._bytes = 0
