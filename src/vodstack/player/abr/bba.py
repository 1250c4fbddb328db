"""Buffer-based adaptation, BBA-0 (Huang et al., "A Buffer-Based Approach to Rate Adaptation",
SIGCOMM 2014, the Netflix study).

The buffer level alone picks the rendition: below the *reservoir* the lowest, above reservoir +
*cushion* the highest, and in between a linear map from buffer to rendition. Defaults are the
5 s / 10 s that Pensieve's evaluation uses for 4 s chunks and a 60 s buffer.
"""

from __future__ import annotations

from typing import ClassVar

from vodstack.player.abr.interface import AbrAlgorithm, DecisionContext


class BufferBased(AbrAlgorithm):
    """BBA-0 with a linear rate map between reservoir and reservoir + cushion."""

    name: ClassVar[str] = "bba"

    def __init__(self, reservoir_s: float = 5.0, cushion_s: float = 10.0) -> None:
        self.reservoir_s = reservoir_s
        self.cushion_s = cushion_s

    def decide(self, context: DecisionContext) -> int:
        top = len(context.ladder_kbps) - 1
        if context.buffer_s < self.reservoir_s:
            return 0
        if context.buffer_s >= self.reservoir_s + self.cushion_s:
            return top
        return int(top * (context.buffer_s - self.reservoir_s) / self.cushion_s)
