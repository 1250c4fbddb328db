"""Session time: simulated by default, or paced against the wall clock at a chosen speed."""

from __future__ import annotations

import time


class SessionClock:
    """Session time, and the pacing that ties it to the wall clock when `speed` is set."""

    def __init__(self, speed: float | None) -> None:
        self._speed = speed
        self._origin = time.perf_counter()
        self.now_s = 0.0

    def catch_up(self) -> None:
        """Session time jumps to the wall time spent so far (API calls before playback)."""
        self.now_s = max(self.now_s, time.perf_counter() - self._origin)

    def advance(self, seconds: float) -> None:
        self.now_s += seconds
        if self._speed is not None:
            lag = self.now_s / self._speed - (time.perf_counter() - self._origin)
            if lag > 0:
                time.sleep(lag)
