"""The published manifests, read from the origin object store and kept in memory.

Asset versions are immutable, so a manifest read once is good forever: the cache needs no
invalidation, only a bound on its size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from vodstack.storage import InvalidKeyError, ObjectNotFoundError, ObjectStore


class AssetFileMissing(LookupError):
    """The asset version has no such file (unpublished, or a name it does not use)."""


class AssetFiles:
    def __init__(self, store: ObjectStore, *, max_entries: int = 512) -> None:
        self._store = store
        self._max_entries = max_entries
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def read_text(self, title_id: int, asset_version: str, file: str) -> str:
        """The text of `titles/{title_id}/{asset_version}/{file}` (blocking on a cache miss)."""
        key = f"titles/{title_id}/{asset_version}/{file}"
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

    def _load(self, key: str) -> str:
        try:
            with self._store.open(key) as reader:
                return reader.read().decode("utf-8")
        except (ObjectNotFoundError, InvalidKeyError) as exc:
            raise AssetFileMissing(key) from exc
