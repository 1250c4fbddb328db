"""The published manifests, read through the object store interface and kept in memory.

Why not from the origin over HTTP: playback rewrites these manifests (plan filter, signed URLs)
and sits on the same trusted side as the origin; going through the origin would add a hop and a
token playback signs for itself, for the same bytes. Reading through `ObjectStore` (the seam the
origin also reads through) means any backend the pipeline publishes to reaches both readers.

Asset versions are immutable, so a manifest read once is good forever: the cache needs no
invalidation, only a bound on its size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from vodstack.delivery.assets import asset_key
from vodstack.storage import InvalidKeyError, ObjectNotFoundError, ObjectStore


class AssetFileMissing(LookupError):
    """The asset version has no such file (unpublished, or a name it does not use)."""


class AssetFiles:
    def __init__(self, store: ObjectStore, *, max_entries: int = 512) -> None:
        self._store = store
        self._max_entries = max_entries
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def cached_text(self, title_id: int, asset_version: str, file: str) -> str | None:
        """The text if it is in memory already (never blocks), else None."""
        key = asset_key(title_id, asset_version, file)
        with self._lock:
            text = self._cache.get(key)
            if text is not None:
                self._cache.move_to_end(key)
            return text

    def read_text(self, title_id: int, asset_version: str, file: str) -> str:
        """The text of `titles/{title_id}/{asset_version}/{file}` (blocking on a cache miss)."""
        key = asset_key(title_id, asset_version, file)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        text = self._load(key)
        with self._lock:
            self._cache[key] = text
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return text

    def read_fresh(self, title_id: int, asset_version: str, file: str) -> str | None:
        """The text of a file that may change (the subtitle index), never cached; None if absent."""
        try:
            return self._load(asset_key(title_id, asset_version, file))
        except AssetFileMissing:
            return None

    def _load(self, key: str) -> str:
        try:
            with self._store.open(key) as reader:
                return reader.read().decode("utf-8")
        except (ObjectNotFoundError, InvalidKeyError) as exc:
            raise AssetFileMissing(key) from exc
