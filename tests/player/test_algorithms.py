"""Each ABR algorithm's defining behaviour, plus one contract every algorithm meets."""

from __future__ import annotations

import itertools
import math

import pytest

from vodstack.player.abr import registry
from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.bba import BufferBased
from vodstack.player.abr.bola import Bola
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.robust_mpc import RobustMpc
from vodstack.player.abr.throughput import ThroughputRule
from vodstack.player.abr.vodstack import LinkEstimator, VodstackAbr
from vodstack.player.video import ENVIVIO_LADDER_KBPS

LADDER = ENVIVIO_LADDER_KBPS


def context(buffer_s: float, last: int = 1, index: int = 10, count: int = 48,
            sizes: tuple[tuple[int, ...], ...] | None = None) -> DecisionContext:  # fmt: skip
    return DecisionContext(
        chunk_index=index, chunk_count=count, buffer_s=buffer_s, last_rendition=last,
        ladder_kbps=LADDER, chunk_duration_s=4.0, upcoming_sizes=sizes,
    )  # fmt: skip


def observation(mbps: float, rendition: int = 1, index: int = 0, latency_s: float = 0.08,
                buffer_s: float = 8.0) -> ChunkObservation:  # fmt: skip
    size = LADDER[rendition] * 1000 // 8 * 4
    transfer = size * 8 / (mbps * 1e6)
    return ChunkObservation(
        chunk_index=index, rendition=rendition, size_bytes=size,
        duration_s=transfer + latency_s, buffer_s=buffer_s, latency_s=latency_s,
    )  # fmt: skip


def fed(name: str, mbps: list[float]) -> AbrAlgorithm:
    """A fresh algorithm that has seen one download per rate."""
    algorithm = registry.create(name)
    for i, rate in enumerate(mbps):
        algorithm.observe(observation(rate, index=i))
    return algorithm


def fed_vodstack(mbps: list[float]) -> VodstackAbr:
    algorithm = VodstackAbr()
    for i, rate in enumerate(mbps):
        algorithm.observe(observation(rate, index=i))
    return algorithm


# --- the contract, one suite over every registered algorithm ----------------------------------


@pytest.mark.parametrize("name", registry.names())
@pytest.mark.parametrize("buffer_s", [0.0, 3.0, 12.0, 40.0, 60.0])
@pytest.mark.parametrize("mbps", [0.2, 1.0, 6.0])
def test_every_algorithm_returns_a_rendition_of_the_ladder(
    name: str, buffer_s: float, mbps: float
) -> None:
    algorithm = fed(name, [mbps] * 6)
    choice = algorithm.decide(context(buffer_s))
    assert 0 <= choice < len(LADDER)


@pytest.mark.parametrize("name", registry.names())
def test_every_algorithm_is_deterministic_and_per_session(name: str) -> None:
    first = fed(name, [1.0, 3.0, 0.5, 2.0]).decide(context(10.0))
    second = fed(name, [1.0, 3.0, 0.5, 2.0]).decide(context(10.0))
    assert first == second
    assert registry.create(name) is not registry.create(name)


@pytest.mark.parametrize("name", registry.names())
def test_more_bandwidth_never_means_lower_quality_when_the_buffer_is_full(name: str) -> None:
    slow = fed(name, [0.5] * 6).decide(context(30.0, last=2))
    fast = fed(name, [8.0] * 6).decide(context(30.0, last=2))
    assert fast >= slow


def test_registry_default_and_unknown_names() -> None:
    assert registry.DEFAULT_ALGORITHM == "vodstack-adaptive"
    assert isinstance(registry.create(), AdaptiveAbr)
    assert set(registry.names()) == {
        "throughput",
        "bba",
        "bola",
        "robustmpc",
        "vodstack",
        "vodstack-learned",
        "vodstack-adaptive",
    }
    with pytest.raises(registry.UnknownAlgorithm, match="choose one of"):
        registry.create("nope")


# --- BBA: reservoir and cushion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("buffer_s", "expected"),
    [(0.0, 0), (4.99, 0), (5.0, 0), (7.0, 1), (9.0, 2), (12.5, 3), (14.9, 4), (15.0, 5), (59, 5)],
)
def test_bba_maps_buffer_linearly_between_reservoir_and_cushion(
    buffer_s: float, expected: int
) -> None:
    assert BufferBased(reservoir_s=5.0, cushion_s=10.0).decide(context(buffer_s)) == expected


def test_bba_ignores_throughput() -> None:
    assert fed("bba", [0.1] * 5).decide(context(20.0)) == 5


# --- BOLA: logarithmic utility, buffer-driven ---------------------------------------------------


def test_bola_utility_is_logarithmic_in_bitrate() -> None:
    utilities = Bola.utilities(LADDER)
    assert utilities[0] == 1.0
    assert utilities[5] - utilities[0] == pytest.approx(math.log(4300 / 300))
    assert all(b > a for a, b in itertools.pairwise(utilities))


def test_bola_climbs_with_the_buffer_and_maximises_its_score() -> None:
    bola = Bola()
    choices = [bola.decide(context(b)) for b in range(0, 40, 2)]
    assert choices[0] == 0
    assert choices[-1] == len(LADDER) - 1
    assert choices == sorted(choices)
    scores = bola.scores(context(18.0))
    assert bola.decide(context(18.0)) == scores.index(max(scores))


# --- throughput rule: dual EWMA --------------------------------------------------------------


def test_throughput_rule_drops_fast_and_recovers_slowly() -> None:
    rule = ThroughputRule()
    for i in range(10):
        rule.observe(observation(4.0, index=i))
    high = rule.decide(context(10.0, last=4))
    rule.observe(observation(0.8, index=10))
    assert rule.decide(context(10.0, last=high)) < high  # the fast EWMA pulls the minimum down
    assert ThroughputRule().decide(context(10.0, last=0)) == 0  # 500 kbps default estimate


# --- RobustMPC: harmonic mean, error discount, 5-chunk horizon ----------------------------------


def test_robust_mpc_discounts_by_the_worst_recent_error() -> None:
    mpc = RobustMpc()
    for i, rate in enumerate([2.0, 2.0, 2.0]):
        mpc.observe(observation(rate, index=i, latency_s=0.0))
    steady = mpc.predict_bps()
    mpc.observe(observation(1.0, index=3, latency_s=0.0))  # predicted 2.0, got 1.0: error 100%
    harmonic = 4 / (3 / 250_000 + 1 / 125_000)
    assert steady == pytest.approx(250_000)
    assert mpc.predict_bps() == pytest.approx(harmonic / 2.0)


def test_robust_mpc_plans_exactly_five_chunks_ahead() -> None:
    normal = tuple(tuple(k * 500 for k in LADDER) for _ in range(48))

    def plan(spike_at: int | None) -> tuple[int, ...]:
        rows = list(normal)  # chunk_index 10 is about to be fetched
        if spike_at is not None:
            rows[spike_at] = tuple(k * 2500 for k in LADDER)  # a chunk five times heavier
        return RobustMpc().plan(context(8.0, last=5, sizes=tuple(rows)), 550_000.0)

    baseline = plan(None)
    assert len(baseline) == 5
    assert plan(4)[4] < baseline[4]  # the last chunk of the horizon is planned around
    assert plan(5) == baseline  # one chunk further is invisible


def test_mpc_truncates_its_horizon_at_the_end_of_the_video() -> None:
    assert len(RobustMpc().plan(context(20.0, index=46, count=48), 300_000.0)) == 2
    # With no future to protect, the last chunk uses the buffer: top quality, no stall possible.
    assert RobustMpc().plan(context(20.0, last=5, index=47, count=48), 300_000.0) == (5,)


# --- vodstack ---------------------------------------------------------------------------------


def test_link_estimator_takes_the_request_latency_out() -> None:
    link = LinkEstimator(window=5)
    link.add(observation(2.0, latency_s=0.5))
    assert link.harmonic_mean() == pytest.approx(2.0e6 / 8)
    assert link.latency_s == 0.5
    assert link.volatility() == float("inf")
    link.add(observation(2.0, latency_s=0.5))
    assert link.volatility() == pytest.approx(0.0)


def test_vodstack_scenarios_widen_with_volatility() -> None:
    steady = fed_vodstack([2.0, 2.0, 2.0, 2.0, 2.0])
    jumpy = fed_vodstack([0.5, 4.0, 1.0, 3.5, 2.0])
    s, j = steady.scenarios_bps(), jumpy.scenarios_bps()
    assert max(s) / min(s) < max(j) / min(j)


def test_vodstack_keeps_a_buffer_until_the_end_then_spends_it() -> None:
    # Link exactly at 1.85 Mbps: mid-video it builds buffer below that rate, but in the last
    # chunks the buffer has no future value and it takes what the link allows.
    def choose(index: int, buffer_s: float) -> int:
        return fed("vodstack", [1.9] * 5).decide(context(buffer_s, last=3, index=index))

    assert choose(10, 6.0) < 3
    assert choose(45, 6.0) >= 3


# Decision CPU time is measured by bench/abr_decision.py (docs/benchmarks.md), not asserted here.
