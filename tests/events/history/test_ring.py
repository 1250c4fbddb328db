"""Consistent hashing: even shares (virtual nodes), little movement when a shard is added."""

from __future__ import annotations

from collections import Counter

from vodstack.services.history.repository import shard_names
from vodstack.services.history.ring import HashRing

PROFILES = range(1, 20_001)


def test_virtual_nodes_spread_profiles_evenly() -> None:
    ring = HashRing(shard_names(4), vnodes=64)
    shares = Counter(ring.shard_for(p) for p in PROFILES)
    assert set(shares) == set(shard_names(4))
    for count in shares.values():
        assert 0.6 * 5000 < count < 1.4 * 5000, shares


def test_adding_a_shard_moves_only_about_its_share() -> None:
    before, after = HashRing(shard_names(4)), HashRing(shard_names(5))
    moved = [p for p in PROFILES if before.shard_for(p) != after.shard_for(p)]
    assert 0.1 < len(moved) / len(PROFILES) < 0.3  # ~1/5, not the ~4/5 of modulo hashing
    assert {after.shard_for(p) for p in moved} == {"shard-4"}  # they all move to the new one


def test_the_ring_is_the_same_in_every_process() -> None:
    assert HashRing(shard_names(4)).shard_for(12345) == HashRing(shard_names(4)).shard_for(12345)
