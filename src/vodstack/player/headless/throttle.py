"""A bandwidth trace as a token bucket: how long a read of N bytes takes from a given moment.

Tokens (bytes) arrive at the trace's rate for the moment, `Mbps * 1e6 / 8` per second, with the
Pensieve convention that line i's rate holds over (t[i-1], t[i]] and the trace wraps around.
A read of N bytes starting at session time `t` ends when N tokens have arrived. The player
takes the longer of this and the real transfer, so a trace can only slow the real network down.
"""

from __future__ import annotations

import bisect

from vodstack.player.traces import NetworkTrace

BYTES_PER_S_PER_MBPS = 1e6 / 8.0
_EPSILON = 1e-9


class TraceThrottle:
    def __init__(self, trace: NetworkTrace) -> None:
        self._times = trace.times_s
        self._rates = tuple(mbps * BYTES_PER_S_PER_MBPS for mbps in trace.mbps)
        self._period = trace.period_s

    def transfer_s(self, size_bytes: float, start_s: float) -> float:
        """Seconds to receive `size_bytes` starting at session time `start_s`."""
        elapsed = 0.0
        remaining = float(size_bytes)
        offset = self._times[0] + (start_s % self._period)
        while remaining > _EPSILON:
            index = bisect.bisect_right(self._times, offset)
            if index >= len(self._times):
                offset, index = self._times[0], 1
            span = self._times[index] - offset
            capacity = self._rates[index] * span
            if capacity >= remaining:
                elapsed += remaining / self._rates[index]
                break
            remaining -= capacity
            elapsed += span
            offset = self._times[index]
        return elapsed
