"""`eventually`: poll a condition until it holds or a generous deadline passes.

The machine running the tests is shared and slow at times, so waits are deadlines on a
condition, never fixed sleeps; one helper keeps the loop (and its failure message) in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T | None],
    *,
    timeout_s: float = 10.0,
    interval_s: float = 0.05,
    message: str = "the condition never held",
    tolerate: tuple[type[Exception], ...] = (),
) -> T:
    """Call `check` until it returns a truthy value (returned); fail after `timeout_s`.

    `check` may itself assert: an unexpected state fails at once instead of at the deadline.
    Exceptions of the `tolerate` types count as "not yet" (a server still starting up).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except tolerate:
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (waited {timeout_s:g} s)")
        time.sleep(interval_s)
