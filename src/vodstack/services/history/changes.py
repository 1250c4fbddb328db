"""History's change feed: the profiles whose viewing changed, for callers that keep answers
built from it (the recs service keeps each profile's home rows, services/recs/freshness.py).

History is written all the time (every heartbeat of every viewer), so a reader that forgot
everything on any write would keep nothing; the feed names the profiles, and a reader drops
only those. Kept in this process's memory, not in the shards: history runs as one instance
(config.settings.SCALABLE_SERVICES), its consumer is the only writer and lists each batch's
profiles here once the batch's transactions are over, so a change is listed only after it is
readable. A restart or an overflow must not let a reader miss a change: sequence numbers start
at the process's start time in microseconds (above any cursor an earlier process gave), and a
cursor older than what is still kept, or newer than the newest, is answered `complete=False`
(forget everything), as core/change_feed.py answers a cursor it never gave.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from itertools import islice

from vodstack.contracts.common import Changes

# A bound on memory: a reader further behind than this forgets everything and starts over.
MAX_KEPT = 200_000
MAX_PAGE = 10_000


class ViewingChanges:
    """Profiles in the order their writes finished, each under its own sequence number."""

    def __init__(self, *, max_kept: int = MAX_KEPT, clock: Callable[[], float] = time.time):
        self._lock = threading.Lock()
        self._newest = int(clock() * 1_000_000)
        self._kept: deque[int] = deque(maxlen=max_kept)  # profiles of seq newest-len+1..newest

    def wrote(self, profiles: Iterable[int]) -> None:
        """These profiles' viewing may have changed (called once their writes are over)."""
        with self._lock:
            for profile in profiles:
                self._kept.append(profile)
                self._newest += 1

    def newest(self) -> int:
        """The cursor of the newest listed write. Read before a snapshot of the shards, it is
        where a reader of the snapshot goes on from: a write listed after this read is listed
        after the cursor, one listed before it was readable before it (see above)."""
        with self._lock:
            return self._newest

    def read(self, after: int, limit: int = MAX_PAGE) -> Changes:
        """The profiles written after the cursor `after`, each once."""
        with self._lock:
            newest = self._newest
            oldest_known = newest - len(self._kept)  # a cursor from here on misses nothing
            if not oldest_known <= after <= newest:
                return Changes(cursor=newest, ids=[], complete=False)
            behind = newest - after
            if behind > limit:
                return Changes(cursor=newest, ids=[], complete=False)
            start = len(self._kept) - behind
            ids = sorted(set(islice(self._kept, start, None)))
        return Changes(cursor=newest, ids=ids)
