"""Public-style synthetic viewing data: latent-factor users and items with a popularity skew
and slowly drifting tastes, written in MovieLens' shape (user, item, timestamp, rating).

Each user has a taste vector that drifts along their history (so what they watched last says
most about what comes next, as in real viewing); each item a vector and a Zipf-like popularity
bias. A user's items are drawn without replacement from softmax(taste . item / temperature +
bias) with the Gumbel top-k trick, in batches of users (100k x 10k fits in seconds of memory).
The rating is a completion share in (0, 1]: liked items tend to be finished.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vodstack.services.recs.interactions import Interactions

START = 1_700_000_000  # epoch seconds of the first interaction


@dataclass(frozen=True)
class SyntheticSpec:
    users: int = 5000
    items: int = 1000
    factors: int = 16
    mean_items: float = 25.0  # per user (log-normal around it)
    max_items: int = 200
    popularity_skew: float = 1.0  # Zipf exponent of the item bias
    temperature: float = 0.35
    drift: float = 0.35  # how far a taste moves from a user's first to last item
    seed: int = 1


def generate(spec: SyntheticSpec) -> Interactions:
    rng = np.random.default_rng(spec.seed)
    d = spec.factors
    items = rng.normal(size=(spec.items, d)).astype(np.float32) / np.sqrt(d)
    ranks = rng.permutation(spec.items) + 1
    bias = (-spec.popularity_skew * np.log(ranks)).astype(np.float32)
    counts = np.clip(
        rng.lognormal(np.log(spec.mean_items), 0.8, size=spec.users).astype(np.int64),
        5,
        min(spec.max_items, spec.items),
    )
    users, item_ids, stamps, ratings = [], [], [], []
    batch = max(1, 20_000_000 // spec.items)
    for first in range(0, spec.users, batch):
        n = min(batch, spec.users - first)
        taste = rng.normal(size=(n, d)).astype(np.float32)
        target = rng.normal(size=(n, d)).astype(np.float32)
        taste /= np.linalg.norm(taste, axis=1, keepdims=True)
        target /= np.linalg.norm(target, axis=1, keepdims=True)
        # Two phases of taste: the early one (start) and the late one (drifted toward target);
        # each item drawn is placed in time by which phase explains it better.
        late = (1 - spec.drift) * taste + spec.drift * target
        want = counts[first : first + n]
        top = int(want.max())
        picks = []
        for phase in (taste, late):
            logits = (phase @ items.T) / spec.temperature + bias
            logits += rng.gumbel(size=logits.shape).astype(np.float32)
            picks.append(np.argpartition(-logits, top - 1, axis=1)[:, :top])
        for row in range(n):
            k = int(want[row])
            early_k = k // 2
            early = picks[0][row][:early_k]
            taken = set(early.tolist())
            later = [i for i in picks[1][row].tolist() if i not in taken]
            chosen = np.concatenate([early, np.asarray(later[: k - early_k], dtype=np.int64)])
            user = first + row + 1
            # Time: the user's span in days, items in order (early phase first).
            span = rng.uniform(1, 365) * 86400
            at = START + rng.uniform(0, 365 * 86400) + np.sort(rng.uniform(0, span, chosen.size))
            affinity = items[chosen] @ late[row]
            done = np.clip(0.5 + affinity * 1.5 + rng.normal(0, 0.2, chosen.size), 0.05, 1.0)
            users.append(np.full(chosen.size, user, dtype=np.int64))
            item_ids.append(chosen.astype(np.int64) + 1)
            stamps.append(at)
            ratings.append(done.astype(np.float32))
    return Interactions(
        np.concatenate(users),
        np.concatenate(item_ids),
        np.concatenate(stamps).astype(np.float64),
        np.concatenate(ratings),
    )
