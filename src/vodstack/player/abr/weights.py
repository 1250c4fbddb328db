"""The weights of a one-hidden-layer ReLU network as the players run it: the learned policy's
(abr/learned.py) and the buffer value's (abr/terminal_value.py). Pure Python, summed left to
right, so the JavaScript port (web/abr.js) can match it bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class PolicyWeights:
    """A one-hidden-layer ReLU network: `logits = out_b + out_w @ relu(hidden_b + hidden_w @ x)`.

    Feature standardisation is folded into the first layer when the weights are exported.
    """

    hidden_w: tuple[tuple[float, ...], ...]
    hidden_b: tuple[float, ...]
    out_w: tuple[tuple[float, ...], ...]
    out_b: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Self:
        def matrix(value: object) -> tuple[tuple[float, ...], ...]:
            assert isinstance(value, list)
            return tuple(tuple(float(v) for v in row) for row in value)

        def vector(value: object) -> tuple[float, ...]:
            assert isinstance(value, list)
            return tuple(float(v) for v in value)

        return cls(
            hidden_w=matrix(data["hidden_w"]),
            hidden_b=vector(data["hidden_b"]),
            out_w=matrix(data["out_w"]),
            out_b=vector(data["out_b"]),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "hidden_w": [list(row) for row in self.hidden_w],
            "hidden_b": list(self.hidden_b),
            "out_w": [list(row) for row in self.out_w],
            "out_b": list(self.out_b),
        }

    def logits(self, features: list[float]) -> list[float]:
        """The forward pass, summed left to right (the JavaScript port sums in the same order)."""
        hidden: list[float] = []
        for row, bias in zip(self.hidden_w, self.hidden_b, strict=True):
            total = bias
            for weight, value in zip(row, features, strict=True):
                total += weight * value
            hidden.append(total if total > 0.0 else 0.0)
        out: list[float] = []
        for row, bias in zip(self.out_w, self.out_b, strict=True):
            total = bias
            for weight, value in zip(row, hidden, strict=True):
                total += weight * value
            out.append(total)
        return out
