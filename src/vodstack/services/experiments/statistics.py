"""The statistics of experiment results, in plain Python (no SciPy in the platform's deps):
Welch's t-test and confidence intervals, and the chi-square sample-ratio check.

The distributions come from the regularized incomplete beta and gamma functions, evaluated by
their continued fractions (Numerical Recipes, 3rd ed., 6.2 and 6.4), accurate to ~1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_EPS = 3e-14
_TINY = 1e-300
_ITERATIONS = 500
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Welch:
    difference: float  # mean(b) - mean(a)
    low: float
    high: float
    t: float
    df: float
    p_value: float  # two-sided


def mean_interval(values: Sequence[float]) -> tuple[float, float, float] | None:
    """(mean, low, high) of a 95% t-interval; None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    half = t_quantile(n - 1) * math.sqrt(_variance(values, mean) / n)
    return mean, mean - half, mean + half


def welch(a: Sequence[float], b: Sequence[float]) -> Welch | None:
    """Welch's unequal-variance t-test of b against a; None when it is undefined."""
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, mean_b = math.fsum(a) / len(a), math.fsum(b) / len(b)
    share_a, share_b = _variance(a, mean_a) / len(a), _variance(b, mean_b) / len(b)
    se2 = share_a + share_b
    if se2 == 0:
        return None
    df = se2**2 / (share_a**2 / (len(a) - 1) + share_b**2 / (len(b) - 1))
    difference = mean_b - mean_a
    t = difference / math.sqrt(se2)
    half = t_quantile(df) * math.sqrt(se2)
    return Welch(difference, difference - half, difference + half, t, df, t_two_sided_p(t, df))


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom."""
    return _betainc(df / 2, 0.5, df / (df + t * t))


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """The t with P(|T| <= t) = confidence, by bisection on the two-sided p."""
    low, high = 0.0, 1e4
    for _ in range(200):
        middle = (low + high) / 2
        if t_two_sided_p(middle, df) > 1 - confidence:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def chi_square_sf(x: float, df: int) -> float:
    """P(X >= x) for the chi-square distribution with `df` degrees of freedom."""
    return _gamma_q(df / 2, x / 2)


def sample_ratio(observed: Sequence[int], shares: Sequence[float]) -> tuple[float, float]:
    """(chi-square, p) of counts per cell against expected shares (any positive weights)."""
    total, weight = sum(observed), sum(shares)
    if total == 0:
        return 0.0, 1.0
    expected = [total * share / weight for share in shares]
    chi = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return chi, chi_square_sf(chi, len(observed) - 1)


def _variance(values: Sequence[float], mean: float) -> float:
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    c, d = 1.0, _nonzero(1 - (a + b) * x / (a + 1))
    d = 1 / d
    h = d
    for m in range(1, _ITERATIONS):
        even = m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m))
        d, c = 1 / _nonzero(1 + even * d), _nonzero(1 + even / c)
        h *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m))
        d, c = 1 / _nonzero(1 + odd * d), _nonzero(1 + odd / c)
        step = d * c
        h *= step
        if abs(step - 1) < _EPS:
            break
    return h


def _gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x)."""
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:  # the series of P converges fast here
        term = total = 1 / a
        n = a
        for _ in range(_ITERATIONS):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1 - total * math.exp(log_front))
    b = x + 1 - a
    c, d = 1 / _TINY, 1 / b
    h = d
    for i in range(1, _ITERATIONS):
        an = -i * (i - a)
        b += 2
        d, c = 1 / _nonzero(an * d + b), _nonzero(b + an / c)
        step = d * c
        h *= step
        if abs(step - 1) < _EPS:
            break
    return math.exp(log_front) * h


def _nonzero(value: float) -> float:
    return value if abs(value) > _TINY else _TINY
