"""The learned ABR policy: its features, its guard rail, its teacher and reproducible training."""

from __future__ import annotations

import numpy as np
import pytest

from tests.player.fakes import make_trace
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.learned import (
    FEATURE_NAMES,
    PLAUSIBLE_GAP,
    LearnedAbr,
    choose,
    committed_policy,
    features,
)
from vodstack.player.abr.vodstack import VodstackAbr
from vodstack.player.abr.weights import PolicyWeights
from vodstack.player.simulation.optimum import first_step_values, offline_optimum
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import TraceFamily
from vodstack.player.training.imitation import TrainConfig, positions, split, train
from vodstack.player.training.synthetic import fit, synthesize
from vodstack.player.video import Video


def fed(mbps: list[float]) -> VodstackAbr:
    mpc = VodstackAbr()
    for i, rate in enumerate(mbps):
        size = 750 * 1000 // 8 * 4
        mpc.observe(ChunkObservation(i, 1, size, size * 8 / (rate * 1e6) + 0.08, 8.0, 0.08))
    return mpc


def context(buffer_s: float, last: int = 2) -> DecisionContext:
    return DecisionContext(10, 48, buffer_s, last, (300, 750, 1200, 1850, 2850, 4300), 4.0)


def constant_policy(preference: list[float]) -> PolicyWeights:
    """A network whose output is `preference` whatever the input (no hidden unit fires)."""
    d = len(FEATURE_NAMES)
    return PolicyWeights(
        ((0.0,) * d,), (0.0,), tuple((0.0,) for _ in preference), tuple(preference)
    )


def test_features_carry_the_mpc_verdict_and_the_state() -> None:
    mpc = fed([2.0, 2.2, 1.8, 2.1, 2.0])
    x = features(mpc, context(12.0, last=3))
    assert len(x) == len(FEATURE_NAMES)
    rel = x[:6]
    assert max(rel) == 0.0 and min(rel) < 0.0
    assert rel.index(0.0) == mpc.decide(context(12.0, last=3))  # the MPC's choice has value 0
    assert x[6:12] == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert x[FEATURE_NAMES.index("buffer_s")] == 12.0
    assert x[FEATURE_NAMES.index("harmonic_mbps")] == pytest.approx(2.0, rel=0.05)


def test_the_policy_only_chooses_among_renditions_the_mpc_finds_close() -> None:
    mpc = fed([2.0, 2.2, 1.8, 2.1, 2.0])
    x = features(mpc, context(2.0, last=3))
    wants_top = constant_policy([0.0, 0.0, 0.0, 0.0, 0.0, 9.0])
    assert x[5] < -PLAUSIBLE_GAP  # 4.3 Mbps on a 2 Mbps link with 2 s of buffer: a sure stall
    choice = choose(wants_top, x)
    assert choice != 5 and x[choice] >= -PLAUSIBLE_GAP
    # Equal predictions: the first (lowest, most cautious) plausible rendition.
    lowest = min(q for q in range(6) if x[q] >= -PLAUSIBLE_GAP)
    assert choose(constant_policy([0.0] * 6), x) == lowest


def test_the_guard_rail_is_tighter_above_the_mpc_choice() -> None:
    # The MPC picks rendition 2; 3 and 4 are 0.2 and 0.3 below it, 1 is 1.0 below, 0 is 2.0.
    x = [-2.0, -1.0, 0.0, -0.2, -0.3, -5.0] + [0.0] * (len(FEATURE_NAMES) - 6)
    assert choose(constant_policy([0.0, 0.0, 0.0, 5.0, 9.0, 0.0]), x) == 3  # 4: above, too far
    assert choose(constant_policy([0.0, 9.0, 0.0, 0.0, 0.0, 0.0]), x) == 1  # below: within 1.5
    assert choose(constant_policy([9.0, 0.0, 0.0, 0.0, 0.0, 0.0]), x) == 1  # 0: too far below
    assert choose(constant_policy([0.0, 0.0, 0.0, 5.0, 9.0, 0.0]), x, up_gap=PLAUSIBLE_GAP) == 4


def test_the_learned_algorithm_decides_with_the_committed_weights() -> None:
    algorithm = LearnedAbr()
    assert algorithm.weights == committed_policy()
    assert algorithm.decide(context(5.0, last=1)) == 1  # nothing observed yet: stay
    for i, rate in enumerate([1.0, 3.0, 0.5, 2.0]):
        size = 750 * 1000 // 8 * 4
        algorithm.observe(ChunkObservation(i, 1, size, size * 8 / (rate * 1e6) + 0.08, 8.0, 0.08))
    assert 0 <= algorithm.decide(context(5.0, last=1)) < 6


def test_the_teacher_values_each_first_step_from_a_visited_state(video: Video) -> None:
    trace = make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0)
    session = simulate_session(trace, video, VodstackAbr())
    where = positions(session)
    first = session.chunks[0]
    values = first_step_values(
        trace, video, 1, first.rendition, where[1], first.buffer_s, list(range(6))
    )
    best = offline_optimum(trace, video)
    # From the state after the start-up chunk, the best first step is worth the whole optimum.
    assert max(values) == pytest.approx(best.qoe_per_chunk * 47, abs=0.06)
    assert values.index(max(values)) == best.renditions[1]
    # A step that the link cannot carry is worth less than staying low.
    assert values[5] < values[0]


def test_synthetic_traces_follow_their_family_and_the_seed(video: Video) -> None:
    fcc = [make_trace([1.0, 1.2, 0.9, 1.1] * 10, step_s=5.0, name=f"trace_{i}") for i in range(3)]
    mobile = [make_trace([0.2, 3.0, 1.5, 0.1, 2.0] * 40, name=f"bus.{i}") for i in range(3)]
    model = fit([*fcc, *mobile], TraceFamily.FCC)
    assert model.step_s == 5.0
    assert np.allclose(model.transitions.sum(axis=1), 1.0)
    made = synthesize([*fcc, *mobile], per_family=4, seed=3)
    assert [t.family for t in made] == [TraceFamily.FCC] * 4 + [TraceFamily.HSDPA] * 4
    assert made == synthesize([*fcc, *mobile], per_family=4, seed=3)
    assert made != synthesize([*fcc, *mobile], per_family=4, seed=4)
    mobile_levels = [t.mean_mbps for t in made[4:]]
    assert 0.3 < float(np.median(mobile_levels)) < 3.0


def test_held_out_traces_never_reach_training(video: Video) -> None:
    traces = [make_trace([1.0, 2.0], name=f"trace_{i}") for i in range(8)]
    traces += [make_trace([1.0, 2.0], name=f"bus.{i}") for i in range(8)]
    kept, heldout = split(traces, every=4)
    assert len(heldout) == 4 and not {t.name for t in kept} & {t.name for t in heldout}


def test_training_is_reproducible_with_a_seed(video: Video) -> None:
    traces = [
        make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0, name="bus.a"),
        make_trace([2.0, 1.6, 2.4, 1.8, 0.9, 2.2], step_s=6.0, name="bus.b"),
        make_trace([1.2, 1.4, 1.1], step_s=5.0, name="trace_1"),
        make_trace([3.0, 2.6, 3.4], step_s=5.0, name="trace_2"),
    ]
    config = TrainConfig(
        seed=5, heldout_every=2, synthetic_per_family=1, rounds=1, labels_per_session=2,
        lookahead=6, epochs=30,
    )  # fmt: skip
    first = train(traces, video, config)
    assert first.weights == train(traces, video, config).weights
    assert (
        first.weights != train(traces, video, TrainConfig(**{**config.__dict__, "seed": 6})).weights
    )
    assert len(first.heldout) == 2 and len(first.synthetic) == 2
    assert [r["round"] for r in first.history] == [0, 1]
