"""The convex hull, curve reading, BD-rate and rung choice, on hand-made points (no ffmpeg)."""

from __future__ import annotations

import itertools
import math

import pytest

from vodstack.pipeline.media.bdrate import bd_rate
from vodstack.pipeline.media.ladder import DEFAULT_LADDER
from vodstack.pipeline.media.per_title import PerTitleSettings, choose_targets, ladder_for
from vodstack.pipeline.media.rate_quality import (
    RatePoint,
    best_height,
    convex_hull,
    rate_for,
    vmaf_at,
)


def _curve(height: int, scale: float, a: float = 20.0, b: float = 12.0) -> list[RatePoint]:
    """VMAF = a + b * ln(rate / scale): a straight line in log-rate, saturating at 100."""
    rates = [100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0]
    return [RatePoint(r, min(100.0, a + b * math.log(r / scale)), height) for r in rates]


def test_the_hull_keeps_only_the_upper_convex_envelope() -> None:
    points = [
        RatePoint(100, 40, 240),
        RatePoint(200, 45, 240),  # under the chord from 100 to 400: not on the hull
        RatePoint(400, 70, 360),
        RatePoint(450, 60, 240),  # dearer than 400 and worse: dominated
        RatePoint(800, 80, 720),
        RatePoint(1600, 84, 720),
    ]
    hull = convex_hull(points)
    assert [(p.kbps, p.vmaf) for p in hull] == [(100, 40), (400, 70), (800, 80), (1600, 84)]


def test_a_curve_is_read_log_linearly_both_ways_and_clamped() -> None:
    curve = [RatePoint(100, 40), RatePoint(400, 80)]
    assert vmaf_at(curve, 200) == pytest.approx(60.0)
    assert rate_for(curve, 60) == pytest.approx(200.0)
    assert vmaf_at(curve, 50) == 40 and vmaf_at(curve, 1000) == 80
    assert rate_for(curve, 10) == 100 and rate_for(curve, 99) == 400


def test_the_hull_switches_to_the_height_that_wins_at_each_rate() -> None:
    low = [RatePoint(100, 50, 240), RatePoint(400, 70, 240), RatePoint(1600, 75, 240)]
    high = [RatePoint(300, 40, 720), RatePoint(1200, 80, 720), RatePoint(4800, 95, 720)]
    assert best_height([*low, *high], 200) == 240, "720p cannot go this low"
    assert best_height([*low, *high], 400) == 240
    assert best_height([*low, *high], 1600) == 720, "past the crossing, the larger picture wins"


@pytest.mark.parametrize("scale", [0.8, 0.5, 1.25])
def test_bd_rate_of_a_curve_scaled_in_rate_is_the_scale(scale: float) -> None:
    anchor = _curve(0, 1.0)
    test = [RatePoint(p.kbps * scale, p.vmaf) for p in anchor]
    assert bd_rate(anchor, test).percent == pytest.approx((scale - 1) * 100, abs=0.01)


def test_bd_rate_integrates_only_over_the_shared_quality_range() -> None:
    anchor = _curve(0, 1.0)
    test = [RatePoint(p.kbps * 0.7, p.vmaf) for p in anchor if p.vmaf > 60]
    result = bd_rate(anchor, test)
    assert result.percent == pytest.approx(-30.0, abs=0.01)
    assert result.vmaf_low > 60


def test_bd_rate_of_curves_with_different_slopes_is_the_mean_log_rate_gap() -> None:
    # Known curves, straight in log-rate: ln r = 2 + 0.05 v (anchor) and 1.5 + 0.055 v (test),
    # sampled over different VMAF ranges. PCHIP is exact on straight lines, so the answer is
    # the integral by hand: over the shared 40-90 the gap is -0.5 + 0.005 v, mean -0.175.
    anchor = [RatePoint(math.exp(2 + 0.05 * v), v) for v in (30, 45, 60, 75, 90)]
    test = [RatePoint(math.exp(1.5 + 0.055 * v), v) for v in (40, 55, 70, 85, 100)]
    result = bd_rate(anchor, test)
    assert (result.vmaf_low, result.vmaf_high) == (40, 90)
    assert result.percent == pytest.approx((math.exp(-0.175) - 1) * 100, abs=0.01)  # -16.05


def test_bd_rate_is_undefined_without_a_shared_range() -> None:
    anchor = [RatePoint(100, 30), RatePoint(200, 40)]
    test = [RatePoint(100, 70), RatePoint(200, 80)]
    result = bd_rate(anchor, test)
    assert result.percent is None and "share" in result.reason


def test_a_one_rung_ladder_is_compared_at_its_own_quality() -> None:
    anchor = [RatePoint(100, 40), RatePoint(400, 80)]
    assert bd_rate(anchor, [RatePoint(100, 60)]).percent == pytest.approx(-50.0, abs=0.01)


def test_a_one_rung_ladder_just_outside_the_anchor_is_compared_at_the_anchors_end() -> None:
    anchor = [RatePoint(400, 23.25), RatePoint(800, 26)]
    just_below = bd_rate(anchor, [RatePoint(404, 23.22)])
    assert just_below.percent == pytest.approx(1.0, abs=0.01)  # no credit for the 0.03 VMAF
    assert bd_rate(anchor, [RatePoint(400, 22)]).percent is None


def _ladder(points: list[RatePoint]) -> list[tuple[int, int]]:
    targets = choose_targets(points, DEFAULT_LADDER, PerTitleSettings())
    return [(r.height, r.bitrate_kbps) for r in ladder_for(points, targets, DEFAULT_LADDER).video]


def _hard() -> list[RatePoint]:
    """Grain-like: small pictures win at low rates, larger ones overtake them higher up."""
    shapes = ((240, 30.0, 8.0), (480, 20.0, 11.0), (1080, 5.0, 15.0))
    return [p for h, a, b in shapes for p in _curve(h, 100.0, a, b)]


def test_easy_content_gets_fewer_lower_rungs_than_hard_content() -> None:
    # Easy: VMAF 95 at a few hundred kbit/s. Hard: climbing slowly all the way.
    easy = [p for h, s in ((240, 2.0), (480, 4.0), (1080, 8.0)) for p in _curve(h, s, 40, 10)]
    hard = _hard()
    easy_rungs, hard_rungs = _ladder(easy), _ladder(hard)
    assert len(easy_rungs) < len(hard_rungs), (easy_rungs, hard_rungs)
    assert easy_rungs[-1][1] < hard_rungs[-1][1] / 4, "the top rung stops where quality does"
    assert hard_rungs[-1][1] <= 5_000, "never above the fixed ladder's top rate for 1080p"


def test_rungs_climb_in_visible_steps_and_switch_resolution_upward() -> None:
    rungs = _ladder(_hard())
    rates = [kbps for _, kbps in rungs]
    heights = [h for h, _ in rungs]
    assert heights == sorted(heights) and len(set(heights)) > 1, rungs
    ratios = [b / a for a, b in itertools.pairwise(rates)]
    assert all(1.2 <= r <= 2.1 for r in ratios), rungs
