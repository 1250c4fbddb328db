"""Object storage: one interface, a local-directory backend and an S3 backend."""

from __future__ import annotations

from vodstack.config.settings import Settings, StorageBackend
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
    ObjectStoreUnavailable,
)

__all__ = [
    "InvalidKeyError",
    "LocalObjectStore",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreUnavailable",
    "master_key",
    "open_object_store",
    "prepare_object_store",
    "validate_key",
    "work_prefix",
]


def open_object_store(settings: Settings) -> ObjectStore:
    """The configured object store: a directory under `data_dir/objects`, or an S3 bucket."""
    if settings.storage.backend is StorageBackend.S3:
        # Imported here so the embedded profile never pays for loading boto3.
        from vodstack.storage.s3 import S3ObjectStore

        return S3ObjectStore.from_settings(settings.storage)
    return LocalObjectStore(settings.data_dir / "objects")


def prepare_object_store(settings: Settings) -> None:
    """Make the configured store ready for a platform's first start: on S3, create the bucket
    when it is missing (`ObjectStoreUnavailable`, naming why, when the endpoint refuses)."""
    if settings.storage.backend is StorageBackend.S3:
        from vodstack.storage.s3 import S3ObjectStore

        S3ObjectStore.from_settings(settings.storage).ensure_bucket()
