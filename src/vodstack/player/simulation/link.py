"""The simulated network link: a trace walked the way Pensieve's `fixed_env` walks it.

The link keeps a position in the trace (a sample pointer and the time reached within it). A
download consumes the trace segment by segment, each delivering `Mbps * 1e6 / 8 * 0.95` bytes per
second, and ends part-way into a segment; idling advances the position without delivering bytes.
Past the last sample the position wraps to the start. Units follow the reference (seconds on the
trace, milliseconds for delays) so results match it to the last digit.
"""

from __future__ import annotations

import math

from vodstack.player.simulation.constants import (
    BYTES_PER_S_PER_MBPS,
    PAYLOAD_SHARE,
    RTT_MS,
    SLEEP_STEP_MS,
)
from vodstack.player.traces import NetworkTrace


class TraceLink:
    """A position in a trace that downloads and idles."""

    def __init__(self, trace: NetworkTrace) -> None:
        self._times = trace.times_s
        self._rates = [r * BYTES_PER_S_PER_MBPS for r in trace.mbps]
        self._pointer = 1
        self._last_time = self._times[0]
        #: Total bytes delivered, for conservation checks.
        self.delivered_bytes = 0.0

    @property
    def position_s(self) -> float:
        """Time reached within the current pass over the trace."""
        return self._last_time

    def _advance(self) -> None:
        self._last_time = self._times[self._pointer]
        self._pointer += 1
        if self._pointer >= len(self._times):
            self._pointer = 1
            self._last_time = self._times[0]

    def download(self, size_bytes: float) -> float:
        """Fetch `size_bytes`; return the delay in milliseconds, round trip included."""
        sent = 0.0
        delay_s = 0.0
        while True:
            rate = self._rates[self._pointer]
            duration = self._times[self._pointer] - self._last_time
            payload = rate * duration * PAYLOAD_SHARE
            if sent + payload > size_bytes:
                fraction = (size_bytes - sent) / rate / PAYLOAD_SHARE
                delay_s += fraction
                self._last_time += fraction
                break
            sent += payload
            delay_s += duration
            self._advance()
        self.delivered_bytes += size_bytes
        return delay_s * 1000.0 + RTT_MS

    def idle_for_buffer(self, buffer_ms: float, limit_ms: float) -> float:
        """Idle while the buffer exceeds `limit_ms`, in whole sleep steps; return the sleep (ms)."""
        if buffer_ms <= limit_ms:
            return 0.0
        sleep_ms = math.ceil((buffer_ms - limit_ms) / SLEEP_STEP_MS) * SLEEP_STEP_MS
        remaining = sleep_ms
        while True:
            duration = self._times[self._pointer] - self._last_time
            if duration > remaining / 1000.0:
                self._last_time += remaining / 1000.0
                return sleep_ms
            remaining -= duration * 1000.0
            self._advance()
