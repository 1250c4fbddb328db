"""Hyperparameters chosen on the training data itself, never on the test split.

EASE's best L2 grows with the data (measured: about 500 on 3,000 users x 800 titles, about
8,000 on 20,000 x 2,000), and how much a profile's latest titles should outweigh its older
ones depends on how fast tastes move in that data. A fixed pair tuned on one set loses on the
next, so each fit holds out every training user's most recent titles (the same shape as the
evaluation's time split, one level down), scores a coarse grid of L2 values and decays on a
sample of those users, refines L2 around the best, and returns the winner. The caller then fits
on the whole training side with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from vodstack.services.recs.interactions import Indexed
from vodstack.services.recs.ranking import metrics, ranked

# Coarse L2 grid (x4 steps), then the best value's x2 neighbours.
L2_GRID = (125.0, 500.0, 2_000.0, 8_000.0, 32_000.0)
DECAY_GRID = (0.35, 0.5, 0.7)
VALIDATION_USERS = 4_000  # sampled, so tuning costs a few extra fits, not extra scoring
HOLDOUT = 2
MIN_TRAIN = 3

Weights = npt.NDArray[np.float32]
# (weights, rows, history matrix, decay) -> scores of every item for those rows
Scorer = Callable[[Weights, npt.NDArray[np.int64], Indexed, float], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Choice:
    l2: float
    decay: float
    ndcg: float  # on the validation users


def holdout_split(
    train: Indexed, holdout: int = HOLDOUT
) -> tuple[Indexed, dict[int, npt.NDArray[np.int64]]]:
    """Each user's `holdout` most recent titles (by last play) out of `train`, for users with
    at least `holdout + MIN_TRAIN` titles."""
    seen = train.last_seen.tocsr()
    held_rows: list[int] = []
    held_cols: list[int] = []
    held: dict[int, npt.NDArray[np.int64]] = {}
    for user in range(seen.shape[0]):
        start, end = seen.indptr[user], seen.indptr[user + 1]
        if end - start < holdout + MIN_TRAIN:
            continue
        cols = seen.indices[start:end]
        latest = cols[np.argsort(seen.data[start:end], kind="stable")[-holdout:]]
        held[user] = latest.astype(np.int64)
        held_rows.extend([user] * holdout)
        held_cols.extend(latest.tolist())
    mask = sparse.csr_matrix(
        (np.ones(len(held_rows), dtype=np.float32), (held_rows, held_cols)), shape=train.shape
    )
    matrix = train.matrix - train.matrix.multiply(mask)
    matrix.eliminate_zeros()
    last = train.last_seen - train.last_seen.multiply(mask)
    last.eliminate_zeros()
    reduced = Indexed(train.users, train.items, sparse.csr_matrix(matrix), sparse.csr_matrix(last))
    return reduced, held


def choose(
    train: Indexed,
    fit: Callable[[Indexed, float], Weights],
    score: Scorer,
    decays: Iterable[float] = DECAY_GRID,
    k: int = 10,
    seed: int = 1,
) -> Choice | None:
    """The (L2, decay) with the best validation NDCG@k; None when no user has enough titles."""
    reduced, held = holdout_split(train)
    if not held:
        return None
    users = np.fromiter(held, dtype=np.int64)
    if users.size > VALIDATION_USERS:
        users = np.sort(np.random.default_rng(seed).choice(users, VALIDATION_USERS, replace=False))
    truth = [held[int(u)] for u in users]
    seen = reduced.matrix[users].tocoo()
    decay_list = tuple(decays)
    tried: dict[float, Choice] = {}

    def trial(l2: float) -> Choice:
        if l2 not in tried:
            weights = fit(reduced, l2)
            best: Choice | None = None
            for decay in decay_list:
                scores = score(weights, users, reduced, decay)
                scores[seen.row, seen.col] = -np.inf
                ndcg = float(metrics(ranked(scores, k), truth, k)[1].mean())
                if best is None or ndcg > best.ndcg:
                    best = Choice(l2, decay, ndcg)
            assert best is not None
            tried[l2] = best
        return tried[l2]

    coarse = max((trial(l2) for l2 in L2_GRID), key=lambda c: c.ndcg)
    for l2 in (coarse.l2 / 2, coarse.l2 * 2):
        trial(l2)
    return max(tried.values(), key=lambda c: c.ndcg)
