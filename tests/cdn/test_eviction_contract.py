"""One contract for every eviction policy; policy-specific behaviour is tested after it."""

from __future__ import annotations

import pytest

from vodstack.cdn.cache import EvictionPolicy, FifoPolicy, LruPolicy, make_policy
from vodstack.config.settings import EvictionKind

POLICIES = [LruPolicy, FifoPolicy]


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
