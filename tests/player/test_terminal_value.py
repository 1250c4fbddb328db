"""The MPC's learned terminal value of buffer: its curve, its place in the MPC, its teacher and
reproducible training (docs/abr.md, seventh round)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from tests.player.fakes import make_trace
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.terminal_value import (
    CAPS_S,
    TERMINAL_FEATURES,
    TerminalValue,
    credit,
    terminal_features,
)
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.simulation.optimum import buffer_values, first_step_values
from vodstack.player.simulation.session import simulate_session
from vodstack.player.training.imitation import positions
from vodstack.player.training.terminal import (
    LABEL_BUFFERS_S,
    TerminalConfig,
    basis,
    fit,
    train_terminal,
)
from vodstack.player.video import Video

LADDER = (300, 750, 1200, 1850, 2850, 4300)


def constant_value(coefficients: list[float]) -> TerminalValue:
    """A curve whose coefficients are `coefficients` whatever the input (no hidden unit fires)."""
    d = len(TERMINAL_FEATURES)
    return TerminalValue(((0.0,) * d,), (0.0,), tuple((0.0,) for _ in CAPS_S), tuple(coefficients))


def knot(cap_s: float) -> list[float]:
    return [1.0 if cap == cap_s else 0.0 for cap in CAPS_S]


def fed(params: VodstackParams, mbps: list[float]) -> VodstackAbr:
    mpc = VodstackAbr(params)
    for i, rate in enumerate(mbps):
        size = 750 * 1000 // 8 * 4
        mpc.observe(ChunkObservation(i, 1, size, size * 8 / (rate * 1e6) + 0.08, 8.0, 0.08))
    return mpc


def test_the_curve_is_zero_when_empty_never_falls_and_flattens_past_its_last_knot() -> None:
    value = constant_value([0.5, 0.0, 0.3, 0.0, 0.2, 0.0, 0.0, 0.1])
    buffers = np.array([0.0, 1.0, 2.0, 5.0, 8.0, 16.0, 40.0, 60.0])
    curve = credit(value.coefficients([0.0] * len(TERMINAL_FEATURES)), buffers)
    assert curve[0] == 0.0
    assert np.all(np.diff(curve) >= 0.0)
    assert curve[-1] == curve[-2]  # nothing beyond the last knot (40 s)
    assert curve[3] == pytest.approx(0.5 * 2 + 0.3 * 5 + 0.2 * 5 + 0.1 * 5)


def test_negative_outputs_are_no_credit_and_the_scale_multiplies_the_curve() -> None:
    value = constant_value([-1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    x = [0.0] * len(TERMINAL_FEATURES)
    assert value.coefficients(x)[:2] == [0.0, 2.0]
    assert replace(value, scale=0.5).coefficients(x)[:2] == [0.0, 1.0]


def test_features_are_what_the_mpc_knows_when_it_plans() -> None:
    mpc = fed(VodstackParams(), [2.0, 1.0, 2.0, 2.0, 2.0])
    context = DecisionContext(40, 48, 12.5, 2, LADDER, 4.0)
    x = terminal_features(
        mpc.link.samples, mpc.link.harmonic_mean(), mpc.link.volatility(), context, 5
    )
    named = dict(zip(TERMINAL_FEATURES, x, strict=True))
    assert named["buffer_s"] == 12.5
    assert named["min_mbps"] == pytest.approx(1.0, rel=0.1)
    assert named["min_mbps"] < named["harmonic_mbps"] < 2.0
    assert named["chunks_after_horizon"] == 3.0  # 8 left, 5 planned
    early = replace(context, chunk_index=2)
    assert terminal_features(mpc.link.samples, 1.0, 0.1, early, 5)[-1] == 16.0  # capped


def test_a_one_knot_curve_plays_like_the_hand_set_credit() -> None:
    # 1.0 per second up to 16 s, as a curve and as the MPC's two constants: the same decisions.
    curve = VodstackParams(terminal=constant_value(knot(16.0)))
    constants = VodstackParams(buffer_value_per_s=1.0, buffer_value_cap_s=16.0)
    for rates in ([2.0, 2.2, 1.8, 2.1, 2.0], [0.4, 3.0, 1.0, 0.2, 2.5], [4.5, 4.4, 4.6, 4.3, 4.5]):
        for buffer_s in (0.5, 4.0, 9.0, 15.0, 22.0, 35.0):
            for last in (0, 2, 5):
                context = DecisionContext(10, 48, buffer_s, last, LADDER, 4.0)
                assert fed(curve, rates).decide(context) == fed(constants, rates).decide(context)


def test_a_dearer_buffer_makes_the_mpc_more_cautious() -> None:
    rates = [2.0, 2.4, 1.6, 2.2, 1.9]
    context = DecisionContext(10, 48, 6.0, 3, LADDER, 4.0)
    cheap = fed(VodstackParams(terminal=constant_value([0.0] * len(CAPS_S))), rates)
    dear = fed(
        VodstackParams(terminal=constant_value([3.0 if c <= 20 else 0 for c in CAPS_S])), rates
    )
    assert dear.decide(context) < cheap.decide(context)


def test_the_teacher_values_buffers_from_a_visited_state(video: Video) -> None:
    trace = make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0)
    session = simulate_session(trace, video, VodstackAbr())
    where = positions(session)
    index = 10
    before = session.chunks[index - 1]
    values = buffer_values(
        trace, video, index, before.rendition, where[index], [0.0, 4.0, before.buffer_s, 30.0],
        chunk_count=20,
    )  # fmt: skip
    # From the session's own buffer it is the best of the first steps the policy's teacher values.
    steps = first_step_values(
        trace, video, index, before.rendition, where[index], before.buffer_s, list(range(6)),
        chunk_count=20,
    )  # fmt: skip
    assert values[2] == pytest.approx(max(steps), abs=1e-9)
    # More buffer in hand is never worth less, and from empty the next chunk stalls.
    ordered = sorted(zip([0.0, 4.0, before.buffer_s, 30.0], values, strict=True))
    assert all(b[1] >= a[1] - 1e-9 for a, b in itertools.pairwise(ordered))
    assert values[1] > values[0]


def test_the_fit_recovers_a_curve_that_depends_on_the_link() -> None:
    # Labels from a known rule: a slow link's buffer is worth 1.0/s up to 20 s, a fast one's 0.3.
    rng = np.random.default_rng(0)
    x = np.column_stack([
        rng.uniform(0, 40, 400), rng.uniform(0.5, 5.0, 400), rng.uniform(0.2, 4.0, 400),
        rng.uniform(0, 0.5, 400), rng.integers(1, 17, 400).astype(float),
    ])  # fmt: skip
    slope = np.where(x[:, 1] < 2.0, 1.0, 0.3)
    buffers = np.array(LABEL_BUFFERS_S[1:])
    target = slope[:, None] * np.minimum(buffers, 20.0)[None, :]
    value = fit(x, target, TerminalConfig(epochs=3000), np.random.default_rng(1))
    slow = np.array(value.coefficients([10.0, 1.0, 0.8, 0.2, 16.0])) @ basis().T
    fast = np.array(value.coefficients([10.0, 4.0, 3.5, 0.2, 16.0])) @ basis().T
    assert slow[-1] == pytest.approx(20.0, rel=0.15) and fast[-1] == pytest.approx(6.0, rel=0.3)


def test_training_is_reproducible_with_a_seed(video: Video) -> None:
    traces = [
        make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0, name="bus.a"),
        make_trace([2.0, 1.6, 2.4, 1.8, 0.9, 2.2], step_s=6.0, name="bus.b"),
        make_trace([1.2, 1.4, 1.1], step_s=5.0, name="trace_1"),
        make_trace([3.0, 2.6, 3.4], step_s=5.0, name="trace_2"),
    ]
    config = TerminalConfig(
        seed=5, heldout_every=2, synthetic_per_family=1, labels_per_session=2, epochs=30
    )
    first, document = train_terminal(traces, video, config)
    assert first == train_terminal(traces, video, config)[0]
    assert first != train_terminal(traces, video, replace(config, seed=6))[0]
    trained = document["trained"]
    assert isinstance(trained, dict) and trained["states"] == 8  # (2 kept + 2 synthetic) x 2
    assert len(trained["heldout_traces"]) == 2
