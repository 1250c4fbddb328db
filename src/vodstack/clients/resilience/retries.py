"""Which calls may be retried, and how long to wait before each retry.

Only idempotent methods, or a call carrying an `Idempotency-Key` (the upstream recognises a
repeat), are retried: a POST that timed out may have happened. Waits use full jitter, a random
wait in [0, min(max_s, first_s x 2^n)] (AWS Architecture Blog, "Exponential Backoff and
Jitter"): of the jitter schemes it spreads synchronised clients the most for the least total
wait. `core.backoff` keeps its equal jitter for outages that last seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx

from vodstack.config.resilience import RetryPolicy

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_KEY_HEADER = "idempotency-key"
# Answers that say "another instance, or a moment later, may do better".
RETRYABLE_STATUSES = frozenset({502, 503, 504})


def retryable_request(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or IDEMPOTENCY_KEY_HEADER in request.headers


def full_jitter(
    policy: RetryPolicy, retry: int, draw: Callable[[], float] = random.random
) -> float:
    """The wait before retry number `retry` (1 for the first)."""
    wait: float = draw() * min(policy.max_s, policy.first_s * 2 ** (retry - 1))
    return wait
