"""The pieces both small networks of the ABR share when they are fitted (training/imitation.py's
policy, training/terminal.py's buffer value): one Adam step and the export that folds feature
standardisation into the first layer.

One copy so the two fits stay bit for bit what they were (the committed policy is reproduced
from its seed; its weights are compared in tests/player).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vodstack.player.abr.weights import PolicyWeights

FloatArray = npt.NDArray[np.float64]


def adam_step(
    params: list[FloatArray],
    grads: tuple[FloatArray, ...],
    moments: list[FloatArray],
    squares: list[FloatArray],
    epoch: int,
    learning_rate: float,
) -> None:
    """Adam (beta1 0.9, beta2 0.999), every list updated in place; `epoch` counts from 1."""
    for i, grad in enumerate(grads):
        moments[i] = 0.9 * moments[i] + 0.1 * grad
        squares[i] = 0.999 * squares[i] + 0.001 * grad * grad
        corrected = moments[i] / (1 - 0.9**epoch)
        params[i] = params[i] - learning_rate * corrected / (
            np.sqrt(squares[i] / (1 - 0.999**epoch)) + 1e-8
        )


def folded(params: list[FloatArray], mean: FloatArray, scale: FloatArray) -> PolicyWeights:
    """The fitted layers with `(x - mean) / scale` folded into the first: weights that take the
    raw features, as the players (Python and JavaScript) compute them."""
    w1, b1, w2, b2 = params
    folded_w1 = w1 / scale
    folded_b1 = b1 - folded_w1 @ mean
    return PolicyWeights(
        hidden_w=tuple(tuple(float(v) for v in row) for row in folded_w1),
        hidden_b=tuple(float(v) for v in folded_b1),
        out_w=tuple(tuple(float(v) for v in row) for row in w2),
        out_b=tuple(float(v) for v in b2),
    )
