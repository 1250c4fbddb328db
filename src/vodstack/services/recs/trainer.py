"""The offline trainer: interactions in, each profile's ranked titles and each title's
neighbours out. The same model class and the same ranking code as `vodstack recs evaluate`
measures (`models.RecencyEase`, `models.top_k`), so what is shipped is what was measured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vodstack.services.recs.interactions import Indexed, Interactions, index
from vodstack.services.recs.models import RecencyEase, top_k
from vodstack.services.recs.ranking import ranked

RECOMMENDED = 100  # ranked titles kept per profile (rows are cut from them)
NEIGHBOURS = 40  # per title, for "Because you watched X"


@dataclass
class Trained:
    model: str
    recommended: dict[int, list[int]] = field(default_factory=dict)  # profile -> titles
    neighbours: dict[int, list[int]] = field(default_factory=dict)  # title -> titles
    interactions: int = 0
    seconds: float = 0.0


def train(data: Interactions, *, k: int = RECOMMENDED, model: RecencyEase | None = None) -> Trained:
    if len(data) == 0:
        return Trained((model or RecencyEase()).name)
    return train_indexed(index(data), k=k, model=model)


def train_indexed(
    matrix: Indexed, *, k: int = RECOMMENDED, model: RecencyEase | None = None
) -> Trained:
    started = time.perf_counter()
    chosen = model or RecencyEase()
    chosen.fit(matrix)
    rows = np.arange(matrix.shape[0], dtype=np.int64)
    recommended: dict[int, list[int]] = {}
    for batch, items in top_k(chosen, matrix, rows, k):
        scored = _scored(chosen, matrix, batch, items)
        for user, columns in zip(batch.tolist(), scored, strict=True):
            recommended[int(matrix.users[user])] = matrix.items[columns].tolist()
    return Trained(
        chosen.name,
        recommended,
        neighbours(chosen.weights, matrix.items),
        int(matrix.matrix.nnz),
        time.perf_counter() - started,
    )


def _scored(
    model: RecencyEase, matrix: Indexed, batch: npt.NDArray[np.int64], items: npt.NDArray[np.int64]
) -> list[npt.NDArray[np.int64]]:
    """Drop items a user has no evidence for (score 0: nothing they watched points there),
    so a profile's list holds only what the model actually recommends."""
    scores = model.scores(batch, matrix)
    kept = np.take_along_axis(scores, items, axis=1) > 0
    return [row[keep] for row, keep in zip(items, kept, strict=True)]


def neighbours(
    weights: npt.NDArray[np.float32], items: npt.NDArray[np.int64], k: int = NEIGHBOURS
) -> dict[int, list[int]]:
    """Each title's strongest positive EASE weights: what watching it points to."""
    out: dict[int, list[int]] = {}
    for start in range(0, weights.shape[0], 2048):
        block = weights[start : start + 2048].copy()
        np.fill_diagonal(block[:, start:], -np.inf)
        best = ranked(block, k)
        strong = np.take_along_axis(block, best, axis=1) > 0
        for offset, (row, keep) in enumerate(zip(best, strong, strict=True)):
            out[int(items[start + offset])] = items[row[keep]].tolist()
    return out
