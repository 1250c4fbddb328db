"""The sharded history store: a ring of SQLite shards, the consumer's sink and the read side.

The ring's size is kept in `root/ring.json` (written by a reshard's cut-over), so a restart
finds the profiles where the last cut-over put them; `settings.history.shards` only seeds it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vodstack.contracts.events import AnyEvent
from vodstack.contracts.history import Position
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.ring import HashRing
from vodstack.services.history.shard import COLUMNS, HistoryShard

_CONTINUE_LIMIT = 20


def shard_names(count: int) -> list[str]:
    return [f"shard-{i}" for i in range(count)]


def ring_size(root: Path, default: int) -> int:
    """The shard count in force: the last cut-over's, else `default`."""
    path = root / "ring.json"
    return int(json.loads(path.read_text())["shards"]) if path.exists() else default


def write_ring_size(root: Path, shards: int) -> None:
    """Atomically switch the ring in force (a reshard's cut-over)."""
    root.mkdir(parents=True, exist_ok=True)
    staged = root / "ring.json.new"
    staged.write_text(json.dumps({"shards": shards}))
    staged.replace(root / "ring.json")


@dataclass(frozen=True)
class ShardLayout:
    root: Path
    count: int
    vnodes: int
    watched_ratio: float

    def open(self) -> dict[str, HistoryShard]:
        return {
            name: HistoryShard(self.root / f"{name}.sqlite", self.watched_ratio)
            for name in shard_names(self.count)
        }


class ShardedHistory:
    def __init__(self, layout: ShardLayout, cache: LookAsideCache[list[Position]]) -> None:
        self.layout = layout
        self.ring = HashRing(shard_names(layout.count), layout.vnodes)
        self.shards = layout.open()
        self.cache = cache
        self._pool = ThreadPoolExecutor(max(1, layout.count), thread_name_prefix="history-shard")

    def shard_of(self, profile_id: int) -> HistoryShard:
        return self.shards[self.ring.shard_for(profile_id)]

    def apply(self, events: Sequence[AnyEvent]) -> int:
        """The consumer's sink: each shard applies its profiles' events in one transaction."""
        by_shard: dict[str, list[AnyEvent]] = defaultdict(list)
        for event in events:
            by_shard[self.ring.shard_for(event.profile_id or 0)].append(event)
        fresh = sum(self.shards[name].apply(batch) for name, batch in by_shard.items())
        for profile_id in {event.profile_id for event in events}:
            self.cache.invalidate(profile_id)
        return fresh

    def continue_watching(self, profile_id: int) -> list[Position]:
        """Started, unfinished titles, most recent first (cached per profile)."""
        return self.cache.get_or_load(profile_id, lambda: self._continue(profile_id))

    def _continue(self, profile_id: int) -> list[Position]:
        rows = self.shard_of(profile_id).query(
            f"SELECT {COLUMNS} FROM positions WHERE profile_id = ? AND watched = 0 "
            "AND position_s > 0 ORDER BY updated_at DESC LIMIT ?",
            (profile_id, _CONTINUE_LIMIT),
        )
        return [_position(row) for row in rows]

    def resume(self, profile_id: int, title_id: int) -> Position | None:
        rows = self.shard_of(profile_id).query(
            f"SELECT {COLUMNS} FROM positions WHERE profile_id = ? AND title_id = ?",
            (profile_id, title_id),
        )
        return _position(rows[0]) if rows else None

    def viewers(self, title_id: int, limit: int) -> list[Position]:
        """Scatter-gather: every shard in parallel, merged by most recent."""
        sql = f"SELECT {COLUMNS} FROM positions WHERE title_id = ? ORDER BY updated_at DESC LIMIT ?"
        parts = self._pool.map(lambda s: s.query(sql, (title_id, limit)), self.shards.values())
        rows = sorted((row for part in parts for row in part), key=lambda r: -r[5])
        return [_position(row) for row in rows[:limit]]

    def count(self) -> int:
        """Position rows over all shards (a reshard's verification)."""
        return sum(
            int(s.query("SELECT COUNT(*) FROM positions")[0][0]) for s in self.shards.values()
        )

    def replays(self) -> int:
        return sum(shard.replays() for shard in self.shards.values())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for shard in self.shards.values():
            shard.close()


def _position(row: Sequence[object]) -> Position:
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
