"""Record what an ABR algorithm saw and decided, to replay it elsewhere (the JavaScript port,
a bug report, a regression test)."""

from __future__ import annotations

from dataclasses import asdict
from typing import ClassVar

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext

#: One recorded event: {"observe": {...}} or {"decide": {...}, "decision": int}.
Event = dict[str, object]


class RecordingAlgorithm(AbrAlgorithm):
    """Wraps an algorithm and keeps every observation and decision as JSON-ready dicts."""

    name: ClassVar[str] = "recording"

    def __init__(self, inner: AbrAlgorithm) -> None:
        self.inner = inner
        self.events: list[Event] = []

    def observe(self, observation: ChunkObservation) -> None:
        self.events.append({"observe": asdict(observation)})
        self.inner.observe(observation)

    def decide(self, context: DecisionContext) -> int:
        decision = self.inner.decide(context)
        self.events.append({"decide": asdict(context), "decision": decision})
        return decision
