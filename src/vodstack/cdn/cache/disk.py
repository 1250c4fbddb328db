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
from collections.abc import Callable
from pathlib import Path

from vodstack.cdn.cache.eviction import EvictionPolicy
from vodstack.cdn.file_response import ServedFile
from vodstack.delivery.assets import AssetPath, asset_from_relative

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
    ) -> None:
        self.root = root
        self.capacity_bytes = capacity_bytes
        self._policy = policy
        self._describe = describe
        self._objects = root / "objects"
        self._tmp = root / "tmp"
        # The hot path reads this dict directly: one lookup per cache hit.
        self.index: dict[bytes, ServedFile] = {}
        self.used_bytes = 0
        self.reserved_bytes = 0
        self.evictions = 0

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
        self._evict_until(0)

    def __len__(self) -> int:
        return len(self.index)

    def touch(self, key: bytes) -> None:
        self._policy.touch(key)

    def reserve(self, size: int) -> bool:
        """Make room for an incoming object; False if it cannot fit even in an empty cache."""
        if size > self.capacity_bytes:
            return False
        if not self._evict_until(size):
            return False
        self.reserved_bytes += size
        return True

    def release(self, size: int) -> None:
        """Give back a reservation whose fill failed."""
        self.reserved_bytes -= size

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
        self.reserved_bytes -= size
        return self._add(asset, final, size, mtime)

    def _add(self, asset: AssetPath, path: str, size: int, mtime: int) -> ServedFile:
        served = self._describe(asset.prefix, asset.file, path, size, mtime)
        self.index[asset.raw] = served
        self._policy.insert(asset.raw, size)
        self.used_bytes += size
        return served

    def _evict_until(self, incoming: int) -> bool:
        while self.used_bytes + self.reserved_bytes + incoming > self.capacity_bytes:
            victim = self._policy.victim()
            if victim is None:
                return False
            self._remove(victim)
            self.evictions += 1
        return True

    def _remove(self, key: bytes) -> None:
        served = self.index.pop(key, None)
        self._policy.remove(key)
        if served is None:
            return
        self.used_bytes -= served.size
        # An open reader (pathsend or a Range read) keeps its descriptor; unlink is safe.
        try:
            Path(served.path).unlink()
        except FileNotFoundError:
            log.warning("cached file vanished before eviction: %s", served.path)
