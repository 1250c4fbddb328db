"""The adaptive ABR: which algorithm plays a session, from the volatility observed so far."""

from __future__ import annotations

from vodstack.player.abr.adaptive import (
    MIN_VOLATILITIES,
    STEADY_BUFFER_VALUE_PER_S,
    VOLATILE_ABOVE,
    AdaptiveAbr,
)
from vodstack.player.abr.cruise import cruise
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.learned import LearnedAbr
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.abr.weights import PolicyWeights

SIZE = 750 * 1000 // 8 * 4


def observation(index: int, mbps: float) -> ChunkObservation:
    return ChunkObservation(index, 1, SIZE, SIZE * 8 / (mbps * 1e6) + 0.08, 8.0, 0.08)


def context(buffer_s: float, last: int = 2) -> DecisionContext:
    return DecisionContext(10, 48, buffer_s, last, (300, 750, 1200, 1850, 2850, 4300), 4.0)


def prefer_top() -> PolicyWeights:
    """A policy that always prefers the highest plausible rendition (no hidden unit fires)."""
    d = 21
    return PolicyWeights(((0.0,) * d,), (0.0,), tuple((0.0,) for _ in range(6)),
                         (0.0, 0.1, 0.2, 0.3, 0.4, 0.5))  # fmt: skip


def feed(algorithms: list[VodstackAbr | LearnedAbr | AdaptiveAbr], mbps: list[float]) -> None:
    for i, rate in enumerate(mbps):
        for algorithm in algorithms:
            algorithm.observe(observation(i, rate))


def test_session_volatility_is_the_mean_of_the_link_volatilities_seen() -> None:
    abr = AdaptiveAbr()
    mpc = VodstackAbr()
    seen = []
    for i, rate in enumerate([1.0, 2.0, 1.0, 2.0]):
        assert abr.session_volatility() is None
        abr.observe(observation(i, rate))
        mpc.observe(observation(i, rate))
        if i >= 1:
            seen.append(mpc.link.volatility())
    assert len(seen) == MIN_VOLATILITIES
    assert abr.session_volatility() == sum(seen) / len(seen)


VOLATILE_RATES = [0.8, 2.6, 1.1, 3.0, 0.9, 2.4]


def test_a_volatile_session_is_played_by_the_learned_policy() -> None:
    abr = AdaptiveAbr(weights=prefer_top())
    learned = LearnedAbr(weights=prefer_top())
    mpc = VodstackAbr()
    feed([abr, learned, mpc], VOLATILE_RATES)
    volatility = abr.session_volatility()
    assert volatility is not None and volatility > VOLATILE_ABOVE
    # Buffers deep enough for the stall guard (next test) to leave every pick alone.
    decisions = {b: abr.decide(context(b)) for b in (12.0, 20.0, 30.0)}
    assert decisions == {b: learned.decide(context(b)) for b in decisions}
    # The policy here always takes the top plausible rung: somewhere that is not the MPC's choice.
    assert decisions != {b: mpc.decide(context(b)) for b in decisions}


def test_on_a_volatile_link_no_pick_stalls_in_the_mpcs_worst_scenario() -> None:
    abr = AdaptiveAbr(weights=prefer_top())
    learned = LearnedAbr(weights=prefer_top())
    mpc = VodstackAbr()
    feed([abr, learned, mpc], VOLATILE_RATES)
    worst_bps = min(mpc.scenarios_bps())
    ladder = context(0.0).ladder_kbps

    def stalls(rendition: int, buffer_s: float) -> bool:
        seconds = ladder[rendition] * 1000 / 8 * 4.0 / worst_bps + 0.08  # 80 ms latency, fed
        return seconds > buffer_s

    stepped_down = 0
    for buffer_s in [b / 2 for b in range(61)]:
        pick = learned.decide(context(buffer_s))
        decision = abr.decide(context(buffer_s))
        if pick == 0 or not stalls(pick, buffer_s):  # nothing lower to step down to, or safe
            assert decision == pick, buffer_s
            continue
        # The highest rung below the policy's pick that would not stall (the lowest if none).
        assert decision < pick, buffer_s
        assert decision == 0 or not stalls(decision, buffer_s), buffer_s
        assert all(stalls(q, buffer_s) for q in range(decision + 1, pick + 1)), buffer_s
        stepped_down += 1
    assert stepped_down >= 3  # the guard did bite on the low buffers


def test_a_steady_session_is_played_by_the_cruise_plan() -> None:
    rates = [1.2, 1.21, 1.19, 1.2, 1.2, 1.22]
    abr = AdaptiveAbr(weights=prefer_top())
    steady = VodstackAbr(VodstackParams(buffer_value_per_s=STEADY_BUFFER_VALUE_PER_S))
    mpc = VodstackAbr()
    feed([abr, steady, mpc], rates)
    volatility = abr.session_volatility()
    assert volatility is not None and volatility <= VOLATILE_ABOVE
    buffers = [b / 2 for b in range(61)]
    decisions = [abr.decide(context(b, last=1)) for b in buffers]
    assert decisions == [cruise(steady, context(b, last=1)) for b in buffers]
    # Where the five-chunk MPC would already climb, the plan to the end holds its rung longer.
    plain = [mpc.decide(context(b, last=1)) for b in buffers]
    assert decisions != plain


def test_until_it_can_tell_it_plays_vodstack() -> None:
    abr = AdaptiveAbr(weights=prefer_top())
    mpc = VodstackAbr()
    feed([abr, mpc], [0.8, 2.6, 1.1])  # two volatility readings, one short
    assert abr.session_volatility() is None
    for b in (2.0, 6.0, 14.0):
        assert abr.decide(context(b)) == mpc.decide(context(b))
    assert AdaptiveAbr().decide(context(4.0, last=3)) == 3  # nothing observed: keep the rendition
