"""The home rows kept as bytes, per profile, and what drops them.

A profile's rows are a function of the query (maturity, region, limit) and of four things that
change: the model (a training run), the catalog and popularity snapshots, the profile's own
viewing as this service's `recs` sink learns it, and its continue-watching row from the history
service. Computing them cost 1.5-1.9 ms of CPU per page (a call to history, two store reads,
the page's models and JSON; bench/services.py); replaying them from the replay path costs what
the other replayed reads cost. So the answers are kept (core.keyed_answers, one group per
profile) and dropped:

- every one, when a training run ends or a refreshed snapshot differs from the one it replaces
  (runtime.py);
- a profile's, when this process's `recs` sink applied an event of it (app.py), at once;
- a profile's, when history's change feed lists it (`poll`, every `recs.history_feed_s`): its
  continue-watching row is at most one interval plus one read older than history's.

History is written all the time, by every viewer's heartbeats: dropping every profile's rows on
any write would keep almost nothing, so the feed names profiles and only theirs go. When the
feed cannot be read, or its last good read is older than three intervals (the task stalled),
nothing is answered from memory or kept, and every page is computed as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from vodstack.contracts.common import Changes
from vodstack.core.answer_store import DEFAULT_MAX_BYTES
from vodstack.core.errors import VodstackError
from vodstack.core.keyed_answers import KeyedAnswers

log = logging.getLogger(__name__)

# The only path kept (app.py); its profile id is the group of its answers.
ROWS_PATH = r"/v1/profiles/\d+/rows"


def profile_of(key: str) -> int:
    """`/v1/profiles/7/rows?maturity=adult` -> 7 (keys only ever match ROWS_PATH)."""
    return int(key.split("/", 4)[3])


class RowsFreshness:
    """The kept rows (`answers`, handed to the app's replay path) and history's feed."""

    def __init__(
        self,
        feed_s: float,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fresh_s = 3 * feed_s
        self._clock = clock
        self._cursor: int | None = None  # None: the feed was never read, nothing is kept
        self._read_at = -float("inf")
        self.answers = KeyedAnswers(profile_of, vouched=self.vouched, max_bytes=max_bytes)

    def vouched(self) -> bool:
        return self._cursor is not None and self._clock() - self._read_at <= self._fresh_s

    async def poll(self, read_feed: Callable[[int], Awaitable[Changes]]) -> None:
        """Read history's feed once: drop the profiles it lists; everything when it cannot be
        read or cannot say what changed since the last read."""
        try:
            changes = await read_feed(self._cursor or 0)
        except (VodstackError, ValueError) as exc:
            if self._cursor is not None:
                log.warning("home rows: nothing is kept (history's change feed: %s)", exc)
            self._cursor = None
            self.answers.drop_all()
            return
        if self._cursor is None or not changes.complete:
            self.answers.drop_all()
        elif changes.ids:
            self.answers.drop(changes.ids)
        self._cursor = changes.cursor
        self._read_at = self._clock()

    def stop(self) -> None:
        """The service stops: nothing more is vouched for."""
        self._cursor = None
        self.answers.drop_all()
