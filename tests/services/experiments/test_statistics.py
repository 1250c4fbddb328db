"""The results' statistics against known values and known differences."""

from __future__ import annotations

import random

import pytest

from vodstack.services.experiments import statistics


def test_welch_matches_the_textbook_values() -> None:
    # scipy.stats.ttest_ind([1..5], [6..10], equal_var=False): t = 5, df = 8, p = 0.0010528
    test = statistics.welch([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert test is not None
    assert test.t == pytest.approx(5.0) and test.df == pytest.approx(8.0)
    assert test.p_value == pytest.approx(0.0010528257933665, rel=1e-9)
    assert (test.low, test.high) == pytest.approx((2.693996, 7.306004), rel=1e-6)
    assert statistics.t_quantile(8) == pytest.approx(2.306004135, rel=1e-8)
    assert statistics.t_quantile(1e6) == pytest.approx(1.959966, rel=1e-5)


def test_chi_square_matches_known_quantiles() -> None:
    assert statistics.chi_square_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert statistics.chi_square_sf(10.0, 3) == pytest.approx(0.0185661354630432, rel=1e-9)
    assert statistics.chi_square_sf(124.342, 100) == pytest.approx(0.05, rel=1e-4)


def test_a_known_difference_is_found_and_no_difference_is_not() -> None:
    rng = random.Random(7)
    control = [rng.gauss(10.0, 2.0) for _ in range(4000)]
    better = [rng.gauss(10.3, 2.0) for _ in range(4000)]
    same = [rng.gauss(10.0, 2.0) for _ in range(4000)]

    found = statistics.welch(control, better)
    assert found is not None
    assert found.low < 0.3 < found.high  # the interval holds the true difference
    assert found.low > 0 and found.p_value < 1e-6

    none = statistics.welch(control, same)
    assert none is not None
    assert none.low < 0 < none.high and none.p_value > 0.05


def test_welch_is_undefined_without_spread_or_samples() -> None:
    assert statistics.welch([1.0], [2.0, 3.0]) is None
    assert statistics.welch([2.0, 2.0], [2.0, 2.0]) is None
    assert statistics.mean_interval([1.0]) is None


def test_sample_ratio_mismatch_is_detected() -> None:
    _, fair = statistics.sample_ratio([5023, 4977], [5000, 5000])
    assert fair > 0.5
    _, skewed = statistics.sample_ratio([5200, 4800], [5000, 5000])  # 2% off on 10,000
    assert skewed < 0.001
    _, weighted = statistics.sample_ratio([1010, 8990], [1000, 9000])
    assert weighted > 0.5
