"""Ranking and its measures, shared by the models, the tuning and the evaluation.

recall@k = hits / min(k, held-out items); NDCG@k with binary relevance, normalized by the
ideal ranking of the held-out items.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def ranked(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def metrics(
    recommended: npt.NDArray[np.int64], held: list[npt.NDArray[np.int64]], k: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-user recall@k and NDCG@k of ranked `recommended` rows against `held` sets."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recall = np.zeros(len(held))
    ndcg = np.zeros(len(held))
    for i, (row, truth) in enumerate(zip(recommended[:, :k], held, strict=True)):
        hits = np.isin(row, truth)
        relevant = min(k, truth.size)
        recall[i] = hits.sum() / relevant
        ndcg[i] = (hits * discounts[: row.size]).sum() / discounts[:relevant].sum()
    return recall, ndcg
