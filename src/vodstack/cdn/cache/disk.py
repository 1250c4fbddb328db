"""The edge's disk cache: objects under `root/objects`, a bounded byte budget, an in-memory index.

Crash safety: a fill writes `root/tmp/*.part`, fsyncs it, then renames it into place, so a
file under `objects/` is always complete. At start the index is rebuilt from `objects/` and
whatever a crash left in `tmp/` is deleted. One process owns a cache directory.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Callable, Hashable
from pathlib import Path

from vodstack.cdn.cache.admission import TitleAdmission
from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.eviction import EvictionPolicy
from vodstack.cdn.file_response import ServedFile
from vodstack.delivery.assets import AssetPath, asset_from_relative, title_of_prefix

log = logging.getLogger(__name__)

Describe = Callable[[bytes, str, str, int, int], ServedFile]  # prefix, name, path, size, mtime
TEMP_SUFFIX = ".part"


class DiskCache:
    """Index (raw URL path -> ServedFile) over files on disk, kept within `capacity_bytes`."""

    def __init__(
        self,
        root: Path,
        capacity_bytes: int,
        policy: EvictionPolicy[bytes],
        describe: Describe,
        admission: TitleAdmission[Hashable] | None = None,
    ) -> None:
        self.root = root
        self._policy = policy
        # The same byte budget the offline replay runs (`vodstack cache evaluate`).
        self.budget = ByteBudget(capacity_bytes, policy, self._forget, admission)
        self._describe = describe
        self._objects = root / "objects"
        self._tmp = root / "tmp"
        # The hot path reads this dict directly: one lookup per cache hit.
        self.index: dict[bytes, ServedFile] = {}
        # Bytes held per title, for content-aware steering (`/holdings`); kept on add and forget
        # so answering never walks the index.
        self._title_bytes: dict[str, int] = {}

    @property
    def capacity_bytes(self) -> int:
        return self.budget.capacity_bytes

    @property
    def used_bytes(self) -> int:
        return self.budget.used_bytes

    @property
    def reserved_bytes(self) -> int:
        return self.budget.reserved_bytes

    @property
    def evictions(self) -> int:
        return self.budget.evictions

    def open(self) -> None:
        """Create the directories, drop crash leftovers, rebuild the index from disk."""
        self._objects.mkdir(parents=True, exist_ok=True)
        if self._tmp.exists():
            shutil.rmtree(self._tmp)
        self._tmp.mkdir(parents=True)
        found: list[tuple[int, AssetPath, Path, os.stat_result]] = []
        for path in self._objects.rglob("*"):
            if path.is_dir():
                continue
            asset = asset_from_relative(path.relative_to(self._objects).as_posix())
            if asset is None:
                log.warning("removing stray file in edge cache: %s", path)
                path.unlink()
                continue
            stat = path.stat()
            found.append((stat.st_ctime_ns, asset, path, stat))
        # Oldest commit first, so the policy evicts what was filled longest ago.
        for _ctime, asset, path, stat in sorted(found, key=lambda item: item[0]):
            self._add(asset, str(path), stat.st_size, int(stat.st_mtime))
        self.budget.make_room(0)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def titles_held(self) -> int:
        return len(self._title_bytes)

    def holdings(self) -> dict[str, int]:
        """Bytes held per title id (titles with nothing held are absent)."""
        return dict(self._title_bytes)

    def touch(self, key: bytes) -> None:
        self._policy.touch(key)

    def admits(self, title: str, when_s: float) -> bool:
        """Whether a viewer's miss of `title` at `when_s` is kept (the budget's filter)."""
        return self.budget.admits(title, when_s)

    def reserve(self, size: int) -> bool:
        """Make room for an incoming object; False if it cannot fit even in an empty cache."""
        return self.budget.reserve(size)

    def release(self, size: int) -> None:
        """Give back a reservation whose fill failed."""
        self.budget.release(size)

    def temp_path(self) -> str:
        return str(self._tmp / (secrets.token_hex(12) + TEMP_SUFFIX))

    def final_path(self, asset: AssetPath) -> str:
        return str(self._objects / asset.relative)

    def commit(self, asset: AssetPath, temp_path: str, size: int, mtime: int) -> ServedFile:
        """Move a complete, fsynced temp file into place (it was reserved with `reserve`)."""
        final = self.final_path(asset)
        Path(final).parent.mkdir(parents=True, exist_ok=True)
        os.utime(temp_path, (mtime, mtime))
        if asset.raw in self.index:
            self._remove(asset.raw)
        Path(temp_path).replace(final)
        served = self._describe(asset.prefix, asset.file, final, size, mtime)
        self.index[asset.raw] = served
        self._count(asset.title, size)
        self.budget.commit(asset.raw, size)
        return served

    def _add(self, asset: AssetPath, path: str, size: int, mtime: int) -> None:
        self.index[asset.raw] = self._describe(asset.prefix, asset.file, path, size, mtime)
        self._count(asset.title, size)
        self.budget.add(asset.raw, size)

    def _count(self, title: str, size: int) -> None:
        held = self._title_bytes.get(title, 0) + size
        if held > 0:
            self._title_bytes[title] = held
        else:
            self._title_bytes.pop(title, None)

    def _remove(self, key: bytes) -> None:
        self.budget.remove(key)
        self._forget(key)

    def _forget(self, key: bytes) -> None:
        served = self.index.pop(key, None)
        if served is None:
            return
        self._count(title_of_prefix(served.prefix), -served.size)
        # An open reader (pathsend or a Range read) keeps its descriptor; unlink is safe.
        try:
            Path(served.path).unlink()
        except FileNotFoundError:
            log.warning("cached file vanished before eviction: %s", served.path)
