"""The autoscaler's arithmetic on a fake clock: HPA's rule, tolerance, missing readings,
several metrics, stabilization windows, min/max."""

from __future__ import annotations

import pytest

from tests.support.clock import FakeMonotonic
from vodstack.supervisor.autoscale.rule import (
    Bounds,
    Recommendation,
    Stabilizer,
    desired_for,
    recommend,
)

UP_S, DOWN_S, TICK_S = 15.0, 120.0, 5.0


def test_the_hpa_rule_is_ceil_of_current_times_observed_over_target() -> None:
    verdict = desired_for([3.0, 5.0], target=2.0, tolerance=0.1)  # average 4 on 2 instances
    assert verdict is not None
    assert verdict.ratio == 2.0
    assert verdict.desired == 4
    assert desired_for([2.5, 2.5, 2.6], 2.0, 0.1).desired == 4  # type: ignore[union-attr]
    # 3 x 1.3 / 0.3 is 13.000000000000002 in floating point: 13, not 14.
    assert desired_for([1.3, 1.3, 1.3], 0.3, 0.1).desired == 13  # type: ignore[union-attr]
    assert desired_for([0.0], 2.0, 0.1).desired == 1  # type: ignore[union-attr]  # never 0


@pytest.mark.parametrize(
    ("observed", "changes"),
    [(2.2, False), (1.8, False), (2.21, True), (1.79, True)],
)
def test_within_the_tolerance_nothing_changes(observed: float, changes: bool) -> None:
    verdict = desired_for([observed] * 10, target=2.0, tolerance=0.1)
    assert verdict is not None
    assert (verdict.desired != 10) is changes


def test_missing_readings_count_as_idle_going_up_and_on_target_going_down() -> None:
    # One busy instance and a new one with no reading yet: the new one counts as idle, so the
    # pair is at 1.5x, not 3x: three instances, not six.
    up = desired_for([6.0, None], target=2.0, tolerance=0.1)
    assert up is not None and up.desired == 3
    # Going down, the missing one counts as on target: 2 instances -> ceil(2 x 0.625) = 2.
    down = desired_for([0.5, None], target=2.0, tolerance=0.1)
    assert down is not None and down.desired == 2
    # A direction the filled-in reading reverses is no change at all.
    flip = desired_for([2.4, None, None], target=2.0, tolerance=0.1)
    assert flip is not None and flip.desired == 3
    assert desired_for([None, None], 2.0, 0.1) is None


def fresh(bounds: Bounds = Bounds(1, 4)) -> tuple[FakeMonotonic, Stabilizer, Bounds]:
    return FakeMonotonic(), Stabilizer(UP_S, DOWN_S), bounds


def step(
    clock: FakeMonotonic,
    stabilizer: Stabilizer,
    bounds: Bounds,
    current: int,
    load: dict[str, list[float | None]],
    targets: dict[str, float] | None = None,
) -> Recommendation:
    outcome = recommend(
        now=clock(),
        current=current,
        readings=load,
        targets=targets or {"concurrency": 2.0},
        tolerance=0.1,
        bounds=bounds,
        stabilizer=stabilizer,
    )
    clock.advance(TICK_S)
    return outcome


def test_a_burst_scales_up_only_after_the_up_window_and_a_blip_never() -> None:
    clock, stabilizer, bounds = fresh()
    for _ in range(4):  # quiet
        assert step(clock, stabilizer, bounds, 1, {"concurrency": [1.0]}).desired == 1
    # One busy reading between quiet ones: held, and forgotten.
    assert step(clock, stabilizer, bounds, 1, {"concurrency": [8.0]}).desired == 1
    assert step(clock, stabilizer, bounds, 1, {"concurrency": [2.0]}).desired == 1
    busy = [step(clock, stabilizer, bounds, 1, {"concurrency": [6.0]}) for _ in range(5)]
    # Readings at 0, 5, 10 s held (the quiet one 15 s before the first is still in the window),
    # and the fourth, 15 s into the burst, scales up to ceil(1 x 6 / 2) = 3.
    assert [o.desired for o in busy] == [1, 1, 1, 3, 3]
    assert "held by the 15 s scale-up window" in busy[0].reason
    assert busy[3].action == "scale_up"
    assert busy[3].recommended == 3


def test_a_lull_scales_down_only_after_the_down_window() -> None:
    clock, stabilizer, bounds = fresh()
    for _ in range(3):
        step(clock, stabilizer, bounds, 3, {"concurrency": [2.0, 2.0, 2.0]})
    started = clock()
    outcomes = []
    while clock() - started <= DOWN_S + TICK_S:
        outcomes.append(
            (clock() - started, step(clock, stabilizer, bounds, 3, {"concurrency": [0.1] * 3}))
        )
    held = [at for at, o in outcomes if o.desired == 3]
    assert held and max(held) < DOWN_S
    assert "held by the 120 s scale-down window" in outcomes[0][1].reason
    first_down = min(at for at, o in outcomes if o.desired < 3)
    assert DOWN_S <= first_down <= DOWN_S + TICK_S
    assert outcomes[-1][1].desired == 1 and outcomes[-1][1].action == "scale_down"


def test_scale_down_takes_the_highest_recommendation_of_the_window() -> None:
    clock, stabilizer, bounds = fresh(Bounds(1, 8))
    step(clock, stabilizer, bounds, 4, {"concurrency": [2.0] * 4})
    for _ in range(30):  # 150 s, recommendations 2 then 1
        step(clock, stabilizer, bounds, 4, {"concurrency": [1.0] * 4})
    mixed = step(clock, stabilizer, bounds, 4, {"concurrency": [0.2] * 4})
    # The last 120 s recommended 2 (1.0 per instance on 4) and now 1: the highest, 2, wins.
    assert mixed.recommended == 1
    assert mixed.desired == 2


def test_min_and_max_bound_the_count() -> None:
    clock, stabilizer, bounds = fresh(Bounds(2, 3))
    for _ in range(5):
        outcome = step(clock, stabilizer, bounds, 2, {"concurrency": [20.0, 20.0]})
    assert outcome.desired == 3
    assert outcome.recommended == 3
    assert "bounded to 3" in outcome.reason
    # Below the minimum (someone scaled by hand): back to min at once, whatever the load.
    clock, stabilizer, bounds = fresh(Bounds(2, 3))
    below = step(clock, stabilizer, bounds, 1, {"concurrency": [0.0]})
    assert below.desired == 2
    assert "outside min 2 / max 3" in below.reason


def test_the_metric_asking_for_most_instances_wins() -> None:
    clock, stabilizer, bounds = fresh(Bounds(1, 10))
    targets = {"concurrency": 2.0, "cpu": 0.5}
    for _ in range(5):
        outcome = step(
            clock,
            stabilizer,
            bounds,
            2,
            {"concurrency": [1.0, 1.0], "cpu": [0.9, 1.1]},
            targets,
        )
    assert outcome.desired == 4  # cpu: ceil(2 x 1.0 / 0.5); concurrency alone would give 1
    assert outcome.reason.startswith("cpu 1 per instance")
    assert {v.metric: v.desired for v in outcome.metrics} == {"concurrency": 1, "cpu": 4}


def test_no_readings_is_no_change() -> None:
    clock, stabilizer, bounds = fresh()
    outcome = step(clock, stabilizer, bounds, 2, {"concurrency": [None, None]})
    assert outcome.desired == 2
    assert outcome.action == "hold"
    assert outcome.reason == "no readings yet"
