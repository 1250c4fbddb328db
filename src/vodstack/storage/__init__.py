"""Object storage for the pipeline: one interface, a local-directory backend (S3 later)."""

from __future__ import annotations

from vodstack.config.settings import Settings
from vodstack.storage.keys import (
    InvalidKeyError,
    master_key,
    validate_key,
    work_prefix,
)
from vodstack.storage.local import LocalObjectStore
from vodstack.storage.objectstore import (
    ObjectExistsError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    ObjectStoreError,
)

__all__ = [
    "InvalidKeyError",
    "LocalObjectStore",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "ObjectStoreError",
    "master_key",
    "open_object_store",
    "validate_key",
    "work_prefix",
]


def open_object_store(settings: Settings) -> ObjectStore:
    """The configured object store: a directory under `data_dir/objects` for now."""
    return LocalObjectStore(settings.data_dir / "objects")
