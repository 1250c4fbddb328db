"""Recommenders behind one small interface: fit on a user x item matrix, score users.

- `Popularity`: how many users played each item (the baseline every model must beat).
- `ItemCosine`: item-to-item cosine similarity of the (binarized) interaction columns.
- `Ease`: Steck's EASE (WWW 2019), a closed-form item-item model: B = I - P / diag(P) with
  P = (X^T X + lambda I)^-1; a user's scores are x_u B.
- `RecencyEase` (the platform's model): EASE's item weights, scored from the user's history
  weighted by recency (the k-th most recent item weighs `decay**k`, 0.5 by default), so what
  a profile watched last drives its rows; chosen by measurement (docs/recommendations.md).
- `ImplicitAls`: `implicit`'s ALS, measured against the others (it installs from PyPI as a
  wheel); not chosen: lower NDCG@10 than EASE and popularity on our synthetic data.

Every model scores a batch of users at once (a dense batch x items block) and `top_k` turns the
blocks into ranked item columns, leaving out what each user already has.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse

from vodstack.services.recs.interactions import Indexed
from vodstack.services.recs.ranking import ranked
from vodstack.services.recs.tuning import DECAY_GRID, choose

Matrix = npt.NDArray[np.float32]
BATCH = 2048  # users scored at once: a 2048 x 10k float32 block is 80 MB
# Used when no training user has enough titles to tune on.
DEFAULT_L2 = 500.0
DEFAULT_DECAY = 0.5


class Model(Protocol):
    name: str

    def fit(self, train: Indexed) -> None: ...

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        """Scores of every item for the users at `rows` (a len(rows) x items block)."""
        ...


def binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    out = matrix.copy()
    out.data = np.ones_like(out.data)
    return sparse.csr_matrix(out)


@dataclass
class Popularity:
    name: str = "popularity"
    counts: Matrix = field(default_factory=lambda: np.zeros(0, np.float32))

    def fit(self, train: Indexed) -> None:
        self.counts = np.asarray(binary(train.matrix).sum(axis=0), dtype=np.float32).ravel()

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        return np.broadcast_to(self.counts, (rows.size, self.counts.size)).copy()


def gram(matrix: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    """X^T X as a dense items x items array (sparse product, then densified once)."""
    product = (matrix.T @ matrix).astype(np.float64)
    return np.asarray(product.toarray())


@dataclass
class ItemCosine:
    name: str = "item-cosine"
    similarity: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def fit(self, train: Indexed) -> None:
        g = gram(binary(train.matrix))
        norms = np.sqrt(np.diag(g))
        norms[norms == 0] = 1.0
        g /= norms[:, None]
        g /= norms[None, :]
        np.fill_diagonal(g, 0.0)
        self.similarity = g.astype(np.float32)

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        history = binary(train.matrix[rows])
        return np.asarray(history @ self.similarity, dtype=np.float32)


def ease_weights(matrix: sparse.csr_matrix, l2: float) -> Matrix:
    """EASE's closed form. The Gram matrix is symmetric positive definite once regularized, so
    it is inverted through its Cholesky factor (half the work of a general inverse)."""
    from scipy import linalg

    g = gram(matrix)
    g[np.diag_indices_from(g)] += l2
    factor = linalg.cho_factor(g, overwrite_a=True, check_finite=False)
    p = linalg.cho_solve(factor, np.eye(g.shape[0]), overwrite_b=True, check_finite=False)
    b: npt.NDArray[np.float64] = np.asarray(p) / (-np.diag(p))
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


@dataclass
class Ease:
    """EASE on the binary history; L2 chosen on the training data (tuning.py) unless given."""

    l2: float | None = None
    name: str = "ease"
    weights: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    chosen_l2: float = 0.0

    def fit(self, train: Indexed) -> None:
        l2 = self.l2
        if l2 is None:
            choice = choose(train, _fit_binary, _score_binary, decays=(1.0,))
            l2 = choice.l2 if choice else DEFAULT_L2
        self.chosen_l2 = l2
        self.weights = ease_weights(binary(train.matrix), l2)

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        return _score_binary(self.weights, rows, train, 1.0)


def recency_weights(last_seen: sparse.csr_matrix, decay: float) -> sparse.csr_matrix:
    """Each stored cell's weight `decay**k`, k = how many of the user's items are more recent."""
    out = sparse.csr_matrix(last_seen, dtype=np.float32, copy=True)
    indptr, data = out.indptr, last_seen.data
    weights = np.empty(data.size, dtype=np.float32)
    for start, end in zip(indptr[:-1].tolist(), indptr[1:].tolist(), strict=True):
        if end > start:
            # rank 0 = most recent
            ranks = np.empty(end - start, dtype=np.float32)
            ranks[np.argsort(-data[start:end], kind="stable")] = np.arange(end - start)
            weights[start:end] = decay**ranks
    out.data = weights
    return out


@dataclass
class RecencyEase:
    """EASE's item weights scored from a recency-weighted history. L2 and the decay are chosen
    on each training set (tuning.py) unless given: the best values move with the data."""

    l2: float | None = None
    decay: float | None = None
    name: str = "recency-ease"
    weights: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    chosen_l2: float = 0.0
    chosen_decay: float = 0.0

    def fit(self, train: Indexed) -> None:
        l2, decay = self.l2, self.decay
        if l2 is None or decay is None:
            fixed = l2
            choice = choose(
                train,
                _fit_binary if fixed is None else lambda m, _: _fit_binary(m, fixed),
                _score_recency,
                decays=DECAY_GRID if decay is None else (decay,),
            )
            l2 = l2 if l2 is not None else (choice.l2 if choice else DEFAULT_L2)
            decay = decay if decay is not None else (choice.decay if choice else DEFAULT_DECAY)
        self.chosen_l2, self.chosen_decay = l2, decay
        self.weights = ease_weights(binary(train.matrix), l2)

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        return _score_recency(self.weights, rows, train, self.chosen_decay)


def _fit_binary(train: Indexed, l2: float) -> Matrix:
    return ease_weights(binary(train.matrix), l2)


def _score_binary(weights: Matrix, rows: npt.NDArray[np.int64], train: Indexed, _: float) -> Matrix:
    return np.asarray(binary(train.matrix[rows]) @ weights, dtype=np.float32)


def _score_recency(
    weights: Matrix, rows: npt.NDArray[np.int64], train: Indexed, decay: float
) -> Matrix:
    return np.asarray(recency_weights(train.last_seen[rows], decay) @ weights, dtype=np.float32)


@dataclass
class ImplicitAls:
    """`implicit`'s ALS on completion-weighted confidence (1 + alpha * weight)."""

    factors: int = 64
    iterations: int = 15
    regularization: float = 0.05
    alpha: float = 10.0
    name: str = "implicit-als"
    user_factors: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    item_factors: Matrix = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def fit(self, train: Indexed) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        confidence = sparse.csr_matrix(train.matrix, dtype=np.float32, copy=True)
        confidence.data = 1.0 + self.alpha * confidence.data
        # implicit's own threads do the work; a multithreaded BLAS underneath only competes
        # (implicit warns at construction when it is not limited).
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                iterations=self.iterations,
                regularization=self.regularization,
                random_state=1,
                num_threads=os.cpu_count() or 1,
            )
            model.fit(confidence, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def scores(self, rows: npt.NDArray[np.int64], train: Indexed) -> Matrix:
        return np.asarray(self.user_factors[rows] @ self.item_factors.T, dtype=np.float32)


def implicit_available() -> bool:
    try:
        import implicit.cpu.als  # noqa: F401
    except ImportError:
        return False
    return True


def top_k(
    model: Model, train: Indexed, rows: npt.NDArray[np.int64], k: int
) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(rows, their top-k item columns best first), batch by batch, seen items left out."""
    for start in range(0, rows.size, BATCH):
        batch = rows[start : start + BATCH]
        scores = model.scores(batch, train)
        seen = train.matrix[batch].tocoo()
        scores[seen.row, seen.col] = -np.inf
        yield batch, ranked(scores, k)
