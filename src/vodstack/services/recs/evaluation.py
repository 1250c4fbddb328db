"""Offline evaluation: per-user time split, recall@k, NDCG@k and catalog coverage per model.

recall@k = hits / min(k, held-out items); NDCG@k with binary relevance, normalized by the
ideal ranking of the held-out items; coverage = distinct items recommended to anyone / items.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from vodstack.services.recs.interactions import Interactions, Split, time_split
from vodstack.services.recs.models import (
    Ease,
    ImplicitAls,
    ItemCosine,
    Model,
    Popularity,
    RecencyEase,
    implicit_available,
    top_k,
)
from vodstack.services.recs.ranking import metrics


@dataclass(frozen=True)
class Scores:
    model: str
    recall: float
    ndcg: float
    coverage: float
    users: int
    fit_s: float

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def score(model: Model, split: Split, k: int = 10) -> Scores:
    started = time.perf_counter()
    model.fit(split.train)
    fit_s = time.perf_counter() - started
    rows = np.fromiter(split.test, dtype=np.int64)
    recalls, ndcgs, shown = [], [], set()
    for batch, items in top_k(model, split.train, rows, k):
        recall, ndcg = metrics(items, [split.test[int(u)] for u in batch], k)
        recalls.append(recall)
        ndcgs.append(ndcg)
        shown.update(np.unique(items).tolist())
    n_items = split.train.shape[1]
    return Scores(
        model.name,
        float(np.concatenate(recalls).mean()) if recalls else 0.0,
        float(np.concatenate(ndcgs).mean()) if ndcgs else 0.0,
        len(shown) / n_items if n_items else 0.0,
        int(rows.size),
        fit_s,
    )


def candidates(with_implicit: bool = True) -> list[Model]:
    """Every model of the table, baselines first and the platform's model last."""
    models: list[Model] = [Popularity(), ItemCosine(), Ease()]
    if with_implicit and implicit_available():
        models.append(ImplicitAls())
    models.append(RecencyEase())
    return models


def evaluate(
    data: Interactions, *, k: int = 10, holdout: int = 2, models: list[Model] | None = None
) -> tuple[Split, list[Scores]]:
    split = time_split(data, holdout=holdout)
    if not split.test:
        raise ValueError(
            f"no user has {holdout + 3} or more distinct items: nothing to hold out "
            "(lower --holdout or give more interactions per user)"
        )
    return split, [score(model, split, k) for model in (models or candidates())]
