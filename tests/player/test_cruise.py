"""Cruising on a steady link: the best plan to the end of the video with at most one switch."""

from __future__ import annotations

import itertools

import pytest

from vodstack.player.abr import cruise as cruising
from vodstack.player.abr.cruise import (
    CRUISE_LONGEST,
    CRUISE_QUANTILE,
    CRUISE_RESERVE_S,
    cruise,
    two_segment_sequences,
)
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.vodstack import VodstackAbr

LADDER = (300, 750, 1200, 1850, 2850, 4300)
SIZE = 750 * 1000 // 8 * 4


def steady_mpc(mbps: float) -> VodstackAbr:
    mpc = VodstackAbr()
    for i in range(5):
        mpc.observe(ChunkObservation(i, 1, SIZE, SIZE * 8 / (mbps * 1e6) + 0.08, 8.0, 0.08))
    return mpc


def context(index: int, buffer_s: float, last: int, count: int = 48) -> DecisionContext:
    return DecisionContext(index, count, buffer_s, last, LADDER, 4.0)


def test_two_segment_plans_are_every_hold_then_switch_once_in_order() -> None:
    plans = [tuple(int(q) for q in row) for row in two_segment_sequences(3, 4)]
    expected = sorted(
        p for p in itertools.product(range(3), repeat=4)
        if sum(a != b for a, b in itertools.pairwise(p)) <= 1
    )  # fmt: skip
    assert plans == expected
    assert len(two_segment_sequences(6, 47)) == 6 + 6 * 5 * 46


def reference(mpc: VodstackAbr, ctx: DecisionContext) -> int:
    """Plain loops over every plan of at most one switch: the first plan of the best score."""
    rate = (
        mpc.link.harmonic_mean() * mpc.params.errors.ratios(mpc.link.volatility())[CRUISE_QUANTILE]
    )
    length = min(CRUISE_LONGEST, ctx.chunks_left)
    best = float("-inf")
    best_plan: tuple[int, ...] = (ctx.last_rendition,)
    for plan in sorted(itertools.product(range(len(LADDER)), repeat=2)):
        for k in range(1, length + 1):
            rungs = [plan[0]] * k + [plan[1]] * (length - k)
            buffer, stall, score = max(ctx.buffer_s - CRUISE_RESERVE_S, 0.0), 0.0, 0.0
            previous = ctx.last_rendition
            for q in rungs:
                download = LADDER[q] * 500.0 / rate + mpc.link.latency_s
                stall += max(download - buffer, 0.0)
                buffer = max(buffer - download, 0.0) + 4.0
                score += LADDER[q] / 1000 - abs(LADDER[q] - LADDER[previous]) / 1000
                previous = q
            score -= 4.3 * stall
            if ctx.chunks_left > length:
                score += mpc.params.buffer_value_per_s * min(buffer, mpc.params.buffer_value_cap_s)
            if score > best + 1e-9 or (abs(score - best) <= 1e-9 and tuple(rungs) < best_plan):
                best, best_plan = score, tuple(rungs)
    return best_plan[0]


@pytest.mark.parametrize("mbps", [0.6, 1.0, 1.5, 2.2, 3.3, 6.0])
def test_the_decision_is_the_first_rung_of_the_best_plan(mbps: float) -> None:
    mpc = steady_mpc(mbps)
    for index, buffer_s, last in [(5, 8.0, 1), (20, 20.0, 2), (40, 30.0, 3), (45, 2.0, 0)]:
        ctx = context(index, buffer_s, last)
        assert cruise(mpc, ctx) == reference(mpc, ctx), (mbps, index, buffer_s, last)


def test_on_a_link_between_two_rungs_it_holds_low_then_spends_the_buffer() -> None:
    mpc = steady_mpc(1.5)  # between 1200 and 1850 kbps
    # Early, with little buffer: hold the rung the link carries and let the buffer grow.
    assert cruise(mpc, context(5, 8.0, 2)) == 2
    # Late, with a deep buffer: the rest of the video fits well above the link's rate.
    assert cruise(mpc, context(44, 40.0, 2)) > 3


def test_a_plan_that_ends_before_the_video_values_what_it_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mpc = steady_mpc(1.5)
    longer = context(44, 20.0, 2, count=1000)
    assert cruise(mpc, longer) == reference(mpc, longer)
    monkeypatch.setattr(cruising, "CRUISE_LONGEST", 4)
    # Four chunks before the end of the video, 20 s of buffer are there to spend; with more
    # video after the four-chunk plan, the buffer value keeps some of it.
    assert cruise(mpc, context(44, 20.0, 2)) == 3
    assert cruise(mpc, longer) == 2
