"""One contract for every eviction policy; policy-specific behaviour is tested after it.

Each policy also runs inside `ByteBudget` (the edges' eviction code) against its slow
reference cache (`eviction_reference`) on random traces with variable sizes: the same hits
and the same evictions in the same order.
"""

from __future__ import annotations

import random

import pytest

from tests.cdn.eviction_reference import (
    ReferenceCache,
    ReferenceFifo,
    ReferenceLru,
    ReferenceS3Fifo,
    ReferenceSieve,
)
from vodstack.cdn.cache import (
    ByteBudget,
    EvictionPolicy,
    FifoPolicy,
    LruPolicy,
    S3FifoPolicy,
    SievePolicy,
    make_policy,
)
from vodstack.config.settings import EvictionKind

POLICIES: list[type[EvictionPolicy[bytes]]] = [LruPolicy, FifoPolicy, S3FifoPolicy, SievePolicy]
REFERENCES: dict[type[EvictionPolicy[bytes]], type[ReferenceCache]] = {
    LruPolicy: ReferenceLru,
    FifoPolicy: ReferenceFifo,
    S3FifoPolicy: ReferenceS3Fifo,
    SievePolicy: ReferenceSieve,
}


@pytest.fixture(params=POLICIES, ids=lambda cls: cls.__name__)
def policy(request: pytest.FixtureRequest) -> EvictionPolicy[bytes]:
    built: EvictionPolicy[bytes] = request.param()
    return built


def test_an_empty_policy_has_no_victim(policy: EvictionPolicy[bytes]) -> None:
    assert policy.victim() is None
    assert len(policy) == 0


def test_the_victim_is_a_tracked_key_and_stays_until_removed(
    policy: EvictionPolicy[bytes],
) -> None:
    for key in (b"a", b"b", b"c"):
        policy.insert(key, 10)
    policy.touch(b"a")
    victim = policy.victim()
    assert victim in (b"a", b"b", b"c")
    assert policy.victim() == victim, "asking twice must not change the answer"
    policy.remove(victim)
    assert victim not in policy and len(policy) == 2


def test_without_hits_the_oldest_insert_goes_first(policy: EvictionPolicy[bytes]) -> None:
    for key in (b"a", b"b", b"c"):
        policy.insert(key, 10)
    order = []
    while (victim := policy.victim()) is not None:
        order.append(victim)
        policy.remove(victim)
    assert order == [b"a", b"b", b"c"]


def test_unknown_keys_are_ignored(policy: EvictionPolicy[bytes]) -> None:
    policy.touch(b"nope")
    policy.remove(b"nope")
    assert len(policy) == 0 and policy.victim() is None


def test_reinserting_a_key_refreshes_it(policy: EvictionPolicy[bytes]) -> None:
    policy.insert(b"a", 10)
    policy.insert(b"b", 10)
    policy.insert(b"a", 10)
    assert len(policy) == 2
    assert policy.victim() == b"b"


def test_removing_any_key_keeps_the_rest_evictable(policy: EvictionPolicy[bytes]) -> None:
    keys = [bytes([i]) for i in range(200)]
    for key in keys:
        policy.insert(key, 1)
    for key in keys[::2]:
        policy.remove(key)
    left = []
    while (victim := policy.victim()) is not None:
        left.append(victim)
        policy.remove(victim)
    assert sorted(left) == keys[1::2]


def _random_trace(seed: int) -> tuple[list[tuple[int, int]], int]:
    rng = random.Random(seed)
    objects = rng.randint(20, 120)
    sizes = [rng.choice([1, 2, 3, 5, 8, 13, 40]) for _ in range(objects)]
    weights = [1 / (rank + 1) ** rng.uniform(0.5, 1.2) for rank in range(objects)]
    keys = rng.choices(range(objects), weights, k=3000)
    capacity = rng.randint(20, max(21, sum(sizes) // 3))
    return [(key, sizes[key]) for key in keys], capacity


@pytest.mark.parametrize("seed", range(12))
def test_the_budget_hits_and_evicts_like_the_reference(
    policy: EvictionPolicy[bytes], seed: int
) -> None:
    trace, capacity = _random_trace(seed)
    evicted: list[int] = []
    fresh: EvictionPolicy[int] = type(policy)()  # type: ignore[assignment]
    budget: ByteBudget[int] = ByteBudget(capacity, fresh, on_evict=evicted.append)
    reference = REFERENCES[type(policy)](capacity)
    hits = 0
    for step, (key, size) in enumerate(trace):
        del evicted[:]
        hit = key in budget
        if hit:
            budget.policy.touch(key)
        else:
            budget.admit(key, size)
        expected_hit, expected_evicted = reference.access(key, size)
        assert (hit, evicted) == (expected_hit, expected_evicted), f"request {step}"
        assert budget.used_bytes <= capacity
        hits += hit
    assert 0 < hits < len(trace), "the trace must exercise both hits and evictions"


def test_every_configured_kind_builds_a_policy() -> None:
    for kind in EvictionKind:
        assert isinstance(make_policy(kind), EvictionPolicy)


def test_lru_spares_what_was_just_served() -> None:
    lru: LruPolicy[bytes] = LruPolicy()
    lru.insert(b"a", 1)
    lru.insert(b"b", 1)
    lru.touch(b"a")
    assert lru.victim() == b"b"


def test_fifo_ignores_hits() -> None:
    fifo: FifoPolicy[bytes] = FifoPolicy()
    fifo.insert(b"a", 1)
    fifo.insert(b"b", 1)
    fifo.touch(b"a")
    assert fifo.victim() == b"a"


def test_sieve_passes_over_a_visited_object_once() -> None:
    sieve: SievePolicy[bytes] = SievePolicy()
    for key in (b"a", b"b", b"c"):
        sieve.insert(key, 1)
    sieve.touch(b"a")
    assert sieve.victim() == b"b"
    sieve.remove(b"b")
    assert sieve.victim() == b"c", "the hand moves on from where it stopped"
    sieve.remove(b"c")
    assert sieve.victim() == b"a", "a's bit was cleared on the first pass"


def test_s3fifo_drops_one_hit_wonders_before_the_main_queue() -> None:
    s3: S3FifoPolicy[bytes] = S3FifoPolicy()
    s3.insert(b"hot", 1)
    s3.touch(b"hot")
    for key in (b"x", b"y"):
        s3.insert(key, 1)
    # S holds all three; its oldest, hot, was hit on probation and moves to M.
    assert s3.victim() == b"x"
    s3.remove(b"x")
    s3.insert(b"x", 1)  # remembered as a ghost: straight into M, behind hot
    s3.remove(b"y")
    assert s3.victim() == b"hot"
