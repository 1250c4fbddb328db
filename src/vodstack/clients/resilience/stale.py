"""Fallback answers: the last good answer of a URL, served marked as possibly stale when its
upstream cannot answer now (the catalog down or frozen: the home rows stay up).

The mark travels two ways: the `x-vodstack-stale` header on the response, and, for callers that
only see parsed models (the home page's rows, fetched in parallel tasks), a set collected by
`collecting_stale()` around the calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

STALE_HEADER = "x-vodstack-stale"
_marks: ContextVar[set[str] | None] = ContextVar("stale_marks", default=None)


@dataclass(frozen=True)
class Kept:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class LastGood:
    """The last good answers by URL, least recently stored dropped first."""

    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[str, Kept] = OrderedDict()

    def keep(self, url: str, answer: Kept) -> None:
        self._kept[url] = answer
        self._kept.move_to_end(url)
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)

    def get(self, url: str) -> Kept | None:
        return self._kept.get(url)


def mark_stale(service: str) -> None:
    marks = _marks.get()
    if marks is not None:
        marks.add(service)


@contextmanager
def collecting_stale() -> Iterator[set[str]]:
    """Services that answered from a fallback during the block (tasks started inside count)."""
    marks: set[str] = set()
    token = _marks.set(marks)
    try:
        yield marks
    finally:
        _marks.reset(token)
