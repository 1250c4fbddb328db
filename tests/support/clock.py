"""Fake clocks that move only when told to, for time-based logic tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A wall clock (`() -> datetime`, as the services take) that only moves when told to."""

    def __init__(self, start: datetime = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: float | timedelta) -> None:
        """Move forward by `by` (seconds, or a timedelta)."""
        self.now += by if isinstance(by, timedelta) else timedelta(seconds=by)


class FakeMonotonic:
    """A monotonic clock (`() -> float` seconds) with a `sleep` that advances it instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
