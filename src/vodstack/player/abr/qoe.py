"""The linear QoE the ABR literature optimises (Yin et al. 2015; Pensieve 2017).

Per chunk n: `R_n - rebuffer_penalty * T_n - smoothness_penalty * |R_n - R_{n-1}|`, with R the
chunk's bitrate in Mbps and T the stall in seconds it caused.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Penalty per second of stall: the highest bitrate of the test ladder in Mbps (Pensieve's choice).
REBUFFER_PENALTY = 4.3
SMOOTHNESS_PENALTY = 1.0


@dataclass(frozen=True)
class LinearQoE:
    """The linear QoE metric with its two penalty weights."""

    rebuffer_penalty: float = REBUFFER_PENALTY
    smoothness_penalty: float = SMOOTHNESS_PENALTY

    def chunk(self, bitrate_mbps: float, previous_mbps: float, rebuffer_s: float) -> float:
        """QoE contribution of one chunk."""
        return (
            bitrate_mbps
            - self.rebuffer_penalty * rebuffer_s
            - self.smoothness_penalty * abs(bitrate_mbps - previous_mbps)
        )
