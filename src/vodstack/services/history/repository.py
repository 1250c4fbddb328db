"""The sharded history store: a ring of shards, the consumer's sink and the read side.

Each shard of each generation is a database URL made from a template with `{generation}` and
`{shard}` (`settings.history.shard_url_template`): SQLite files in generation directories by
default (`root/g0/shard-0.sqlite`, ...), PostgreSQL databases or schemas in production.
`root/ring.json` names the generation and size in force (written by a reshard's cut-over), so
a restart finds the profiles where the last cut-over put them; `settings.history.shards` only
seeds generation 0.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vodstack.contracts.events import AnyEvent
from vodstack.contracts.history import Position, WatchedProfiles
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.changes import ViewingChanges
from vodstack.services.history.models import COLUMNS
from vodstack.services.history.ring import HashRing
from vodstack.services.history.shard import HistoryShard

_CONTINUE_LIMIT = 20

# The read paths' statements, as plain SQL both engines run (`HistoryShard.read`: the driver's
# own execution, without SQLAlchemy's statement machinery, which costs more than the query).
_ROW = f"SELECT {', '.join(COLUMNS)} FROM positions"
_CONTINUE = (
    f"{_ROW} WHERE profile_id = :profile AND watched = 0 AND position_s > 0 "
    f"ORDER BY updated_at DESC LIMIT {_CONTINUE_LIMIT}"
)
_RESUME = f"{_ROW} WHERE profile_id = :profile AND title_id = :title"
_VIEWERS = f"{_ROW} WHERE title_id = :title ORDER BY updated_at DESC LIMIT :limit"
_COUNT = "SELECT COUNT(*) FROM positions"
_WATCHED = "SELECT DISTINCT profile_id FROM positions ORDER BY profile_id LIMIT :limit"


def shard_names(count: int) -> list[str]:
    return [f"shard-{i}" for i in range(count)]


@dataclass(frozen=True)
class RingState:
    """The ring in force: its generation (a set of shard databases) and its size."""

    generation: int
    shards: int


def read_ring(root: Path, default_shards: int) -> RingState:
    """The last cut-over's ring, else generation 0 with `default_shards`."""
    path = root / "ring.json"
    if not path.exists():
        return RingState(0, default_shards)
    data = json.loads(path.read_text())
    return RingState(int(data["generation"]), int(data["shards"]))


def write_ring(root: Path, state: RingState) -> None:
    """Atomically switch the ring in force (a reshard's cut-over): rename is atomic."""
    root.mkdir(parents=True, exist_ok=True)
    staged = root / "ring.json.new"
    staged.write_text(json.dumps({"generation": state.generation, "shards": state.shards}))
    staged.replace(root / "ring.json")


@dataclass(frozen=True)
class ShardLayout:
    root: Path
    count: int
    vnodes: int
    watched_ratio: float
    generation: int = 0
    # `{generation}` and `{shard}` (its index) make each shard's URL; None: SQLite files
    # under `root` (as the releases before shard URLs kept them).
    url_template: str | None = None
    # The same for each shard's PostgreSQL streaming replica (the viewers' reads); None: none.
    replica_url_template: str | None = None
    replica_wait_s: float = 0.5

    def shard_url(self, index: int) -> str:
        template = (
            self.url_template or f"sqlite:///{self.root}/g{{generation}}/shard-{{shard}}.sqlite"
        )
        return template.format(generation=self.generation, shard=index)

    def replica_url(self, index: int) -> str | None:
        if self.replica_url_template is None:
            return None
        return self.replica_url_template.format(generation=self.generation, shard=index)

    def open(self) -> Generation:
        shards = {
            name: HistoryShard(
                self.shard_url(index),
                self.watched_ratio,
                replica_url=self.replica_url(index),
                replica_wait_s=self.replica_wait_s,
            )
            for index, name in enumerate(shard_names(self.count))
        }
        return Generation(self, HashRing(shard_names(self.count), self.vnodes), shards)


@dataclass(frozen=True)
class Generation:
    """One ring and its open shards."""

    layout: ShardLayout
    ring: HashRing
    shards: dict[str, HistoryShard]

    def shard_of(self, profile_id: int) -> HistoryShard:
        return self.shards[self.ring.shard_for(profile_id)]

    def apply(self, events: Sequence[AnyEvent]) -> int:
        by_shard: dict[str, list[AnyEvent]] = defaultdict(list)
        shard_of: dict[int, str] = {}  # the ring's hash once per profile of the block
        for event in events:
            profile = event.profile_id or 0
            if profile not in shard_of:
                shard_of[profile] = self.ring.shard_for(profile)
            by_shard[shard_of[profile]].append(event)
        return sum(self.shards[name].apply(batch) for name, batch in by_shard.items())

    def rows(self) -> set[tuple[object, ...]]:
        """Every position row (a reshard's verification compares these)."""
        return {row for shard in self.shards.values() for row in shard.read(_ROW)}

    def count(self) -> int:
        return sum(int(shard.read(_COUNT)[0][0]) for shard in self.shards.values())

    def reset(self) -> None:
        for shard in self.shards.values():
            shard.reset()

    def close(self) -> None:
        for shard in self.shards.values():
            shard.close()


class ShardedHistory:
    """The consumer's sink and the read side. While a reshard runs (services/history/reshard.py)
    every batch is written to the current generation and to the target one (dual write);
    reads stay on the current generation until the cut-over swaps them."""

    def __init__(self, layout: ShardLayout, cache: LookAsideCache[list[Position]]) -> None:
        self.current = layout.open()
        self.target: Generation | None = None
        # Generations replaced by a cut-over: a read may still be running on one, so they are
        # closed with the store, not at the cut-over.
        self._retired: list[Generation] = []
        self.cache = cache
        # Held by every write and by the cut-over: a batch is in both generations or neither
        # when the cut-over compares them.
        self.write_lock = threading.RLock()
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="history-shard")
        # The profiles each batch wrote, for callers keeping answers built from them (recs).
        self.changes = ViewingChanges()

    @property
    def layout(self) -> ShardLayout:
        return self.current.layout

    @property
    def ring(self) -> HashRing:
        return self.current.ring

    def shard_of(self, profile_id: int) -> HistoryShard:
        return self.current.shard_of(profile_id)

    def apply(self, events: Sequence[AnyEvent]) -> int:
        """The consumer's sink: each shard applies its profiles' events in one transaction."""
        profiles = {event.profile_id for event in events}
        try:
            with self.write_lock:
                fresh = self.current.apply(events)
                if self.target is not None:
                    self.target.apply(events)
        finally:
            # Even when a shard failed (those before it have committed); the look-aside cache
            # first: a feed reader asking again at once must not meet the entry it replaces.
            for profile_id in profiles:
                self.cache.invalidate(profile_id)
            self.changes.wrote(p for p in profiles if p is not None)
        return fresh

    def continue_watching(self, profile_id: int) -> list[Position]:
        """Started, unfinished titles, most recent first (cached per profile)."""
        return self.cache.get_or_load(profile_id, lambda: self.continue_from_shards(profile_id))

    def cached_continue(self, profile_id: int) -> list[Position] | None:
        """`continue_watching` if the cache has it (never blocks); None = ask the shards."""
        return self.cache.peek(profile_id)

    def continue_from_shards(self, profile_id: int) -> list[Position]:
        """`continue_watching` read from the shards, past the look-aside cache."""
        rows = self.shard_of(profile_id).serve(_CONTINUE, {"profile": profile_id}, profile_id)
        return [_position(row) for row in rows]

    def resume(self, profile_id: int, title_id: int) -> Position | None:
        args = {"profile": profile_id, "title": title_id}
        rows = self.shard_of(profile_id).serve(_RESUME, args, profile_id)
        return _position(rows[0]) if rows else None

    def watched(self, limit: int) -> WatchedProfiles:
        """Every profile with a position, as of the changes feed's cursor, read first (see
        `ViewingChanges.newest`). From the primaries: the feed lists a batch once it is there."""
        cursor = self.changes.newest()
        shards = self.current.shards.values()
        profiles = sorted(
            {row[0] for s in shards for row in s.read(_WATCHED, {"limit": limit + 1})}
        )
        if len(profiles) > limit:
            return WatchedProfiles(cursor=cursor, profiles=[], complete=False)
        return WatchedProfiles.model_construct(cursor=cursor, profiles=profiles, complete=True)

    def viewers(self, title_id: int, limit: int) -> list[Position]:
        """Scatter-gather: every shard in parallel, merged by most recent. An operator's read,
        of no one profile: on a replica it waits for no viewer's writes (its lag, milliseconds,
        is this answer's)."""
        args = {"title": title_id, "limit": limit}
        parts = self._pool.map(lambda s: s.serve(_VIEWERS, args), self.current.shards.values())
        rows = sorted((row for part in parts for row in part), key=lambda r: -r[5])
        return [_position(row) for row in rows[:limit]]

    def count(self) -> int:
        """Position rows over all shards."""
        return self.current.count()

    def replays(self) -> int:
        return sum(shard.replays() for shard in self.current.shards.values())

    def forget_applied(self, older_than: float) -> int:
        """Drop applied ids the log can no longer replay (DatabaseSink.forget_applied)."""
        return sum(s.forget_applied(older_than) for s in self.current.shards.values())

    def retire(self, generation: Generation) -> None:
        self._retired.append(generation)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for generation in self._retired:
            generation.close()
        self.current.close()
        if self.target is not None:
            self.target.close()


def _position(row: Sequence[Any]) -> Position:
    profile_id, title_id, position_s, duration_s, watched, updated_at = row
    return Position.model_validate(
        {
            "profile_id": profile_id,
            "title_id": title_id,
            "position_s": position_s,
            "duration_s": duration_s,
            "watched": bool(watched),
            "updated_at": updated_at,
        }
    )
