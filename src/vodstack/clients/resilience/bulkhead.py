"""A bulkhead: a cap on calls in flight to one upstream, so a slow one cannot take every
connection and task of the caller with it. Past the cap, calls fail at once (no queue: a queue
in front of a slow upstream only adds its delay to every call)."""

from __future__ import annotations


class Bulkhead:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    def try_enter(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
