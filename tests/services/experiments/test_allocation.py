"""Allocation: the same account always lands in the same cell, and cells get their shares."""

from __future__ import annotations

from collections import Counter

import pytest

from vodstack.contracts.experiments import Cell
from vodstack.services.experiments.allocation import allocate, bucket

MEMBERS = range(1, 10_001)


def test_an_account_always_lands_in_the_same_cell() -> None:
    cells = [Cell(name="vodstack", share=5000), Cell(name="robustmpc", share=5000)]
    first = [allocate("salt-a", cells, account) for account in MEMBERS]
    again = [allocate("salt-a", cells, account) for account in MEMBERS]
    assert first == again
    # Pinned values: a change of hash or of bucket layout would move every member mid-test.
    assert bucket("salt-a", 1) == 7956  # sha256("salt-a:1"), first 60 bits, mod 10000
    assert [allocate("salt-a", cells, a) for a in (1, 2, 3, 4, 5)] == [
        "robustmpc", "robustmpc", "vodstack", "vodstack", "robustmpc",
    ]  # fmt: skip


@pytest.mark.parametrize("shares", [(5000, 5000), (1000, 3000, 6000), (9900, 100)])
def test_cells_get_their_shares_within_tolerance(shares: tuple[int, ...]) -> None:
    cells = [Cell(name=f"c{i}", share=share) for i, share in enumerate(shares)]
    counts = Counter(allocate("home-row-order-salt", cells, account) for account in MEMBERS)
    for cell in cells:
        expected = len(MEMBERS) * cell.share / 10_000
        # 4 standard deviations of a binomial count: fails by chance about once in 16,000.
        tolerance = 4 * (expected * (1 - cell.share / 10_000)) ** 0.5
        assert abs(counts[cell.name] - expected) <= tolerance, (cell, counts)


def test_two_experiments_split_members_independently() -> None:
    cells = [Cell(name="a", share=5000), Cell(name="b", share=5000)]
    pairs = Counter(
        (allocate("first", cells, account), allocate("second", cells, account))
        for account in MEMBERS
    )
    for pair in (("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")):
        assert abs(pairs[pair] - 2500) <= 4 * (2500 * 0.75) ** 0.5, pairs
