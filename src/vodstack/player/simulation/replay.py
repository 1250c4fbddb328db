"""A fixed schedule played as an ABR algorithm (to replay the offline optimum or a recording)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from vodstack.player.abr.interface import AbrAlgorithm, DecisionContext


class ScheduleReplay(AbrAlgorithm):
    """Picks `renditions[chunk_index]` whatever happens."""

    name: ClassVar[str] = "schedule"

    def __init__(self, renditions: Sequence[int], label: str = "schedule") -> None:
        self._renditions = tuple(renditions)
        self.label = label

    def decide(self, context: DecisionContext) -> int:
        return self._renditions[context.chunk_index]
