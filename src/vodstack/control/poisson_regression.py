"""A Poisson log-linear regression: expected counts from features, fitted by Newton's method.

    expected(x) = exp(w0 + sum_i w_i x_i)

The learned forecast's model (control/learned_forecast.py): tomorrow's requests of an object
are counts, mostly 0 to a few, whose mean spans orders of magnitude, which is what a Poisson
likelihood with a log link fits. The features are standardised over the training rows (so one
ridge weight means the same for every feature) and the weights lightly penalised (features
such as yesterday's count and the decayed count are strongly correlated). Newton's method with
step halving: deterministic, a dozen steps, no dependency beyond numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]
MAX_STEPS = 50
MAX_LINEAR = 30.0  # exp() of more than this is an overflowing step, not a forecast
TOLERANCE = 1e-7


@dataclass(frozen=True)
class PoissonRegression:
    mean: Matrix
    scale: Matrix
    weights: Matrix  # intercept first

    @classmethod
    def fit(
        cls, x: Matrix, y: Matrix, ridge: float = 1.0, offset: Matrix | None = None
    ) -> PoissonRegression:
        """The weights of the penalised maximum likelihood over rows `x`, counts `y`;
        `offset`: a log-expectation each row starts from, the weights correct it."""
        base = np.zeros(len(x)) if offset is None else offset
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0  # a constant column: its weight stays at the penalty's 0
        z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
        penalty = np.full(z.shape[1], ridge)
        penalty[0] = 0.0
        weights = np.zeros(z.shape[1])
        weights[0] = np.log(max(float(y.sum()), 1e-9) / max(float(np.exp(base).sum()), 1e-9))

        def loss(w: Matrix) -> float:
            linear = np.minimum(base + z @ w, MAX_LINEAR)
            return float(np.exp(linear).sum() - y @ linear + 0.5 * penalty @ (w * w))

        current = loss(weights)
        for _ in range(MAX_STEPS):
            mu = np.exp(np.minimum(base + z @ weights, MAX_LINEAR))
            gradient = z.T @ (mu - y) + penalty * weights
            hessian = (z * mu[:, None]).T @ z + np.diag(penalty)
            step = np.linalg.solve(hessian, gradient)
            size = 1.0
            while size > 1e-4:
                trial = weights - size * step
                value = loss(trial)
                if value <= current:
                    break
                size /= 2
            else:
                break  # no step lowers the loss: at the optimum, up to rounding
            weights, improved = trial, current - value
            current = value
            if improved <= TOLERANCE * max(abs(current), 1.0):
                break
        return cls(mean, scale, weights)

    def predict(self, x: Matrix, offset: Matrix | None = None) -> Matrix:
        """Expected counts of rows `x` (each from its `offset`, as fitted)."""
        z = (x - self.mean) / self.scale
        linear = self.weights[0] + z @ self.weights[1:] + (0.0 if offset is None else offset)
        expected: Matrix = np.exp(np.minimum(linear, MAX_LINEAR))
        return expected
