"""BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation for Online
Videos", INFOCOM 2016), in the BOLA-BASIC form dash.js ships.

Lyapunov optimisation of utility minus buffer: each rendition has a logarithmic utility
`v_m = ln(bitrate_m / bitrate_0) + 1`, and the next chunk takes the rendition maximising
`(V * (v_m + gp) - Q) / bitrate_m`, where Q is the buffer level. `gp` and `V` come from dash.js's
rule: the lowest rendition is chosen up to a minimum buffer, the highest from the buffer target on.
"""

from __future__ import annotations

import math
from typing import ClassVar

from vodstack.player.abr.interface import AbrAlgorithm, DecisionContext


class Bola(AbrAlgorithm):
    """BOLA-BASIC with dash.js's parameter rule."""

    name: ClassVar[str] = "bola"

    def __init__(self, minimum_buffer_s: float = 10.0, buffer_target_s: float = 30.0) -> None:
        self.minimum_buffer_s = minimum_buffer_s
        self.buffer_target_s = buffer_target_s

    @staticmethod
    def utilities(ladder_kbps: tuple[int, ...]) -> list[float]:
        """Logarithmic utility of each rendition, 1 for the lowest."""
        return [math.log(kbps / ladder_kbps[0]) + 1.0 for kbps in ladder_kbps]

    def scores(self, context: DecisionContext) -> list[float]:
        """BOLA's objective for each rendition at the current buffer level."""
        utilities = self.utilities(context.ladder_kbps)
        gp = (utilities[-1] - 1.0) / (self.buffer_target_s / self.minimum_buffer_s - 1.0)
        v = self.minimum_buffer_s / gp
        return [
            (v * (u + gp) - context.buffer_s) / kbps
            for u, kbps in zip(utilities, context.ladder_kbps, strict=True)
        ]

    def decide(self, context: DecisionContext) -> int:
        scores = self.scores(context)
        return max(range(len(scores)), key=scores.__getitem__)
