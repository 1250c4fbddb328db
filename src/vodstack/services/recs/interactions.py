"""Interactions: who watched what, when, how much; read from CSV (ours and MovieLens') and
split per user by time for offline evaluation.

Users and items keep their external ids (profile ids, title ids, MovieLens' ids); the matrices
index them densely (`users[i]`, `items[j]`), which is what every model works on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

# Accepted header names per column: ours first, then MovieLens' ratings.csv.
_COLUMNS = {
    "user": ("user_id", "userId", "user"),
    "item": ("item_id", "movieId", "itemId", "item"),
    "timestamp": ("timestamp", "time", "ts"),
    "rating": ("rating", "weight"),
}


class InteractionsError(ValueError):
    """A file that cannot be read as interactions; the message says what to fix."""


@dataclass(frozen=True)
class Interactions:
    """One row per (user, item) event: external ids, epoch-seconds time, a positive weight."""

    user_ids: npt.NDArray[np.int64]
    item_ids: npt.NDArray[np.int64]
    timestamps: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.user_ids.size)


@dataclass(frozen=True)
class Indexed:
    """Interactions mapped onto dense indexes: a user x item matrix and its id tables."""

    users: npt.NDArray[np.int64]  # external id of row i
    items: npt.NDArray[np.int64]  # external id of column j
    matrix: sparse.csr_matrix  # weights, duplicates summed
    last_seen: sparse.csr_matrix  # latest timestamp of each (user, item)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.users.size), int(self.items.size))


def read_csv(path: Path) -> Interactions:
    """Read `user_id,item_id,timestamp[,rating]` (or MovieLens' `userId,movieId,rating,
    timestamp`). A rating, when present, becomes the weight (explicit ratings as confidence);
    without one every row weighs 1."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InteractionsError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InteractionsError(f"{path} is empty")
        where = _locate(header, path)
        users: list[int] = []
        items: list[int] = []
        times: list[float] = []
        weights: list[float] = []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                users.append(int(row[where["user"]]))
                items.append(int(row[where["item"]]))
                times.append(float(row[where["timestamp"]]))
                rating = where.get("rating")
                weights.append(float(row[rating]) if rating is not None else 1.0)
            except (ValueError, IndexError):
                raise InteractionsError(
                    f"{path}:{line}: expected integer user and item ids and a numeric timestamp"
                    f"{' and rating' if 'rating' in where else ''}, got {row!r}"
                ) from None
    if not users:
        raise InteractionsError(f"{path} has a header but no interactions")
    return Interactions(
        np.asarray(users, dtype=np.int64),
        np.asarray(items, dtype=np.int64),
        np.asarray(times, dtype=np.float64),
        np.asarray(weights, dtype=np.float32),
    )


def _locate(header: list[str], path: Path) -> dict[str, int]:
    names = [name.strip() for name in header]
    where: dict[str, int] = {}
    for column, accepted in _COLUMNS.items():
        found = next((names.index(name) for name in accepted if name in names), None)
        if found is not None:
            where[column] = found
        elif column != "rating":
            raise InteractionsError(
                f"{path}: no {column} column in the header {names!r} (expected one of "
                f"{', '.join(accepted)}; the columns are user_id,item_id,timestamp[,rating])"
            )
    return where


def write_csv(path: Path, data: Interactions) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("user_id", "item_id", "timestamp", "rating"))
        for u, i, t, w in zip(
            data.user_ids.tolist(),
            data.item_ids.tolist(),
            data.timestamps.tolist(),
            data.weights.tolist(),
            strict=True,
        ):
            out.writerow((u, i, int(t), f"{w:.3g}"))


def index(data: Interactions, items: npt.NDArray[np.int64] | None = None) -> Indexed:
    """The user x item matrix; `items` fixes the columns (others are dropped)."""
    users, user_index = np.unique(data.user_ids, return_inverse=True)
    if items is None:
        items, item_index = np.unique(data.item_ids, return_inverse=True)
        keep = np.ones(len(data), dtype=bool)
    else:
        position = np.searchsorted(items, data.item_ids)
        position = np.clip(position, 0, max(items.size - 1, 0))
        keep = items[position] == data.item_ids if items.size else np.zeros(len(data), bool)
        item_index = position
    shape = (users.size, items.size)
    rows, cols = user_index[keep], item_index[keep]
    matrix = sparse.csr_matrix((data.weights[keep], (rows, cols)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    # Latest time per cell: coo -> csr sums duplicates, so take the max by sorting first.
    order = np.lexsort((data.timestamps[keep], cols, rows))
    r, c, t = rows[order], cols[order], data.timestamps[keep][order]
    last = np.ones(r.size, dtype=bool)
    last[:-1] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    seen = sparse.csr_matrix((t[last], (r[last], c[last])), shape=shape, dtype=np.float64)
    return Indexed(users, items, matrix, seen)


@dataclass(frozen=True)
class Split:
    """Per-user time split: each user's last `holdout` distinct items are the test set."""

    train: Indexed
    test: dict[int, npt.NDArray[np.int64]]  # user row -> held-out item columns


def time_split(data: Interactions, holdout: int = 2, min_train: int = 3) -> Split:
    """Hold out each user's last `holdout` distinct items (by their first interaction time);
    users with fewer than `min_train + holdout` distinct items are kept only for training."""
    full = index(data)
    n_users, n_items = full.shape
    # First time each (user, item) happened: the order in which a user discovered items.
    rows = np.searchsorted(full.users, data.user_ids)
    cols = np.searchsorted(full.items, data.item_ids)
    order = np.lexsort((-data.timestamps, cols, rows))  # per cell, earliest last
    r, c, t = rows[order], cols[order], data.timestamps[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    first_idx = np.flatnonzero(first)
    last_in_run = np.append(first_idx[1:] - 1, r.size - 1)
    r, c, t = r[last_in_run], c[last_in_run], t[last_in_run]
    by_time = np.lexsort((c, t, r))  # per user, by time (ties by item for determinism)
    r, c = r[by_time], c[by_time]
    starts = np.searchsorted(r, np.arange(n_users))
    ends = np.searchsorted(r, np.arange(n_users), side="right")
    test: dict[int, npt.NDArray[np.int64]] = {}
    held = np.zeros(r.size, dtype=bool)
    for user in np.flatnonzero(ends - starts >= holdout + min_train).tolist():
        end = int(ends[user])
        test[user] = c[end - holdout : end].astype(np.int64)
        held[end - holdout : end] = True
    mask = sparse.csr_matrix(
        (np.ones(int(held.sum()), dtype=np.float32), (r[held], c[held])), shape=(n_users, n_items)
    )
    train = full.matrix - full.matrix.multiply(mask)
    train.eliminate_zeros()
    seen = full.last_seen - full.last_seen.multiply(mask)
    seen.eliminate_zeros()
    return Split(
        Indexed(full.users, full.items, sparse.csr_matrix(train), sparse.csr_matrix(seen)), test
    )
