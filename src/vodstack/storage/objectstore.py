"""The object store interface: where masters, intermediate outputs and published assets live.

Every backend (a local directory, an S3 bucket) passes the one contract suite in
`tests/storage/test_objectstore_contract.py`. Promises every backend keeps:

- a write is atomic: readers see the old object, or the whole new one, never a torn file;
- `publish_dir` never shows a reader a half-published version (one rename on a directory;
  manifests last and a version marker put once on S3), and refuses to overwrite a published one;
- keys are validated (`storage.keys`), so no key can name anything outside the store.

    ObjectStoreError
    ├── ObjectNotFoundError     the key does not exist
    ├── ObjectExistsError       publish_dir target already exists (asset versions are immutable)
    └── ObjectStoreUnavailable  the backend cannot be reached (down, timing out, misconfigured)
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vodstack.core.errors import ServiceUnavailable


class ObjectStoreError(Exception):
    """Base of the object store's errors."""


class ObjectNotFoundError(ObjectStoreError, KeyError):
    """No object under that key."""


class ObjectExistsError(ObjectStoreError):
    """The target of an immutable publish already exists."""


class ObjectStoreUnavailable(ObjectStoreError, ServiceUnavailable):
    """The backend did not answer or refused to work; the message says what an operator fixes.

    Also a `ServiceUnavailable`: a request that meets it anywhere (an upload's completion, a
    job's source check) is answered 503 with this message by the one error mapping, never 500.
    """

    default_code = "storage_unavailable"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a reader needs to serve an object over HTTP: its size and when it was last written."""

    size: int
    modified: int  # whole seconds since the epoch (HTTP validators have second precision)


class ObjectStore(ABC):
    """A flat namespace of immutable-by-convention blobs addressed by `/`-separated keys."""

    @abstractmethod
    def put_file(self, key: str, source: Path, *, move: bool = False) -> None:
        """Store `source` under `key` atomically (replacing any object there).

        With `move=True` the backend may consume `source` instead of copying it.
        """

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary reader of the object; raises `ObjectNotFoundError`."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object (not a prefix) exists under `key`."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Size in bytes; raises `ObjectNotFoundError`."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size and modification time of the object; raises `ObjectNotFoundError`."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Keys starting with `prefix`, sorted. `a/` lists under a folder-like prefix."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error (idempotent)."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under the folder-like `prefix/`; returns how many."""

    @abstractmethod
    def publish_dir(self, staged: Path, prefix: str) -> None:
        """Make the local tree `staged` appear at once under `prefix/` (consumes `staged`).

        Raises `ObjectExistsError` if a version is already published under `prefix/`:
        published asset versions are immutable, a re-encode publishes a new version.
        """

    def local_path(self, key: str) -> Path | None:
        """A filesystem path to read the object in place, when the backend has one."""
        return None

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """A reader of bytes `start` up to `end` (exclusive) of the object; it may read past `end`.

        Backends that fetch over a network override it to fetch only that span.
        """
        reader = self.open(key)
        reader.seek(start)
        return reader

    def open_with_info(self, key: str) -> tuple[ObjectInfo, BinaryIO]:
        """The object's size and time with a reader of it: one request where a backend can."""
        info = self.stat(key)
        return info, self.open(key)

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as handle:
            return handle.read()

    def fetch(self, key: str, dest: Path) -> Path:
        """Copy the object to the local file `dest` (parents created); returns `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self.open(key) as source, dest.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        return dest

    @contextmanager
    def readable_path(self, key: str, scratch: Path) -> Iterator[Path]:
        """A local path to the object: in place if possible, else a copy under `scratch`."""
        in_place = self.local_path(key)
        if in_place is not None:
            if not in_place.is_file():
                raise ObjectNotFoundError(key)
            yield in_place
            return
        copy = self.fetch(key, scratch / key.replace("/", "_"))
        try:
            yield copy
        finally:
            copy.unlink(missing_ok=True)
