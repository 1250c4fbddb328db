"""The model's L2 and decay are chosen on the training side only, from the profiles' latest
titles held out one level down."""

from __future__ import annotations

import numpy as np

from vodstack.services.recs.interactions import Interactions, index
from vodstack.services.recs.models import RecencyEase
from vodstack.services.recs.synthetic import SyntheticSpec, generate
from vodstack.services.recs.tuning import DECAY_GRID, L2_GRID, holdout_split


def test_each_profiles_two_latest_titles_are_held_out_and_short_histories_are_kept() -> None:
    # User 1 plays items 1..6 in order; user 2 has only 3 titles (too few to hold out).
    users = np.asarray([1] * 6 + [2] * 3, dtype=np.int64)
    items = np.asarray([1, 2, 3, 4, 5, 6, 1, 2, 3], dtype=np.int64)
    stamps = np.asarray([10, 20, 30, 40, 50, 60, 10, 20, 30], dtype=np.float64)
    data = index(Interactions(users, items, stamps, np.ones(9, dtype=np.float32)))
    reduced, held = holdout_split(data)
    assert list(held) == [0]
    assert sorted(data.items[held[0]].tolist()) == [5, 6]
    assert sorted(data.items[reduced.matrix[0].indices].tolist()) == [1, 2, 3, 4]
    assert reduced.matrix[1].nnz == 3


def test_unset_hyperparameters_are_chosen_on_the_grid_and_given_ones_are_kept() -> None:
    train = index(generate(SyntheticSpec(users=600, items=150, seed=3)))
    tuned = RecencyEase()
    tuned.fit(train)
    refined = {v for l2 in L2_GRID for v in (l2, l2 / 2, l2 * 2)}
    assert tuned.chosen_l2 in refined and tuned.chosen_decay in DECAY_GRID
    given = RecencyEase(l2=321.0, decay=0.9)
    given.fit(train)
    assert (given.chosen_l2, given.chosen_decay) == (321.0, 0.9)
