"""Online resharding: move every profile to a ring of another size while players keep writing.

Run inside the history service (the only writer of its shards), in a thread of its own:

1. **Dual write.** A new generation of shards is opened (`root/g{n+1}/` by default, or the
   databases the shard URL template names for generation n+1; migrated, and emptied of what
   an abandoned attempt left) and, from the next batch on, the consumer writes every batch to
   both generations.
2. **Copy.** Every row of the current generation is merged into the new one, shard by shard in
   key order, a page at a time. Rows merge as a join (shard._UPSERT), so the copy and
   the dual writes may interleave in any order and land on the same result.
3. **Verify and cut over**, holding the write lock (the consumer waits; events queue in the
   log): the two generations must hold exactly the same rows. If so, `ring.json` is switched
   atomically to the new generation and reads move there; if not, the new generation is
   dropped and the service stays where it was. The old generation's databases are kept (delete
   `g{n}` or drop them by hand once happy).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import cast

from vodstack.contracts.history import ReshardPhase as Phase
from vodstack.contracts.history import ReshardStatus
from vodstack.core.errors import Conflict, Invalid
from vodstack.services.history.repository import (
    Generation,
    RingState,
    ShardedHistory,
    ShardLayout,
    write_ring,
)
from vodstack.services.history.shard import HistoryShard

log = logging.getLogger(__name__)
_PAGE = 500


@dataclass
class Progress:
    phase: Phase = Phase.IDLE
    from_shards: int = 0
    to_shards: int = 0
    copied: int = 0
    rows: int = 0  # rows in both generations at the cut-over
    message: str = ""

    def status(self) -> ReshardStatus:
        return ReshardStatus(
            phase=self.phase,
            from_shards=self.from_shards,
            to_shards=self.to_shards,
            copied=self.copied,
            rows=self.rows,
            message=self.message,
        )


class Resharder:
    def __init__(self, history: ShardedHistory) -> None:
        self._history = history
        self._lock = threading.Lock()
        self.progress = Progress()
        self._thread: threading.Thread | None = None

    def start(self, shards: int) -> Progress:
        with self._lock:
            if self.progress.phase is Phase.COPYING:
                raise Conflict("A reshard is already running.", code="reshard_running")
            current = self._history.layout
            if shards == current.count:
                raise Invalid(f"History already has {shards} shards.", code="same_shards")
            self.progress = Progress(Phase.COPYING, current.count, shards)
            self._thread = threading.Thread(target=self._run, args=(shards,), name="reshard")
            self._thread.start()
            return self.progress

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self, shards: int) -> None:
        try:
            self._reshard(shards)
        except Exception as exc:
            log.exception("reshard failed")
            self._drop_target()
            self.progress.phase, self.progress.message = Phase.FAILED, str(exc)

    def _reshard(self, shards: int) -> None:
        history, current = self._history, self._history.layout
        layout = replace(current, count=shards, generation=current.generation + 1)
        target = layout.open()
        target.reset()  # an earlier, abandoned attempt may have left rows there
        with history.write_lock:
            history.target = target  # dual writes from the next batch on
        for shard in history.current.shards.values():
            self._copy(shard, target)
        self._cut_over(layout)

    def _copy(self, shard: HistoryShard, target: Generation) -> None:
        after = (0, 0)
        while rows := shard.page(after, _PAGE):
            by_shard: dict[str, list[Sequence[object]]] = {}
            for row in rows:
                by_shard.setdefault(target.ring.shard_for(cast(int, row[0])), []).append(row)
            for name, part in by_shard.items():
                target.shards[name].merge_rows(part)
            self.progress.copied += len(rows)
            after = (cast(int, rows[-1][0]), cast(int, rows[-1][1]))

    def _cut_over(self, layout: ShardLayout) -> None:
        history = self._history
        with history.write_lock:
            target = history.target
            assert target is not None
            old_rows, new_rows = history.current.rows(), target.rows()
            if old_rows != new_rows:
                missing, extra = len(old_rows - new_rows), len(new_rows - old_rows)
                raise RuntimeError(
                    f"verification failed: {missing} rows missing, {extra} unexpected; "
                    "staying on the current shards"
                )
            write_ring(layout.root, RingState(layout.generation, layout.count))
            old, history.current, history.target = history.current, target, None
        history.cache.clear()
        history.retire(old)
        self.progress.rows = len(new_rows)
        self.progress.phase = Phase.DONE
        self.progress.message = f"{len(new_rows)} rows verified on {layout.count} shards"
        log.info("resharded history to %d shards: %s", layout.count, self.progress.message)

    def _drop_target(self) -> None:
        history = self._history
        with history.write_lock:
            target, history.target = history.target, None
        if target is not None:
            target.close()
