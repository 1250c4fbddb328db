"""The object store in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO), through boto3.

Why boto3 (docs/decisions.md): the `ObjectStore` interface is synchronous and its heaviest
callers (pipeline workers) are threads and processes, which boto3's thread-safe client serves
as is; its transfer manager does multipart uploads and parallel ranged downloads.

Atomicity comes from S3 itself: a PUT, or a completed multipart upload, replaces an object
whole. S3 has no rename, so `publish_dir` (`storage.publish`) uploads media first, manifests
after them, and finally puts the version's marker once, with `If-None-Match: *`.
Backend bookkeeping such as that marker lives under dot-names, which no valid key can name and
`list` never shows.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vodstack.config.settings import StorageSettings
from vodstack.storage.keys import validate_key, validate_prefix
from vodstack.storage.objectstore import (
    ObjectExistsError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    ObjectStoreUnavailable,
)
from vodstack.storage.publish import PUBLISHED_MARKER, publish_batches

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef, ObjectIdentifierTypeDef

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_DELETE_BATCH = 1000  # DeleteObjects' limit
_READ_BUFFER = 1024 * 1024


def _hidden(key: str) -> bool:
    return any(segment.startswith(".") for segment in key.split("/"))


class _BodyReader(io.RawIOBase):
    """A GET's streaming body as a raw file, its network errors translated."""

    def __init__(self, reply: GetObjectOutputTypeDef, key: str) -> None:
        self._body = reply["Body"]
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        with _translated(self._key):
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """botocore's errors as the store's: lower-level errors are translated once, here."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _NOT_FOUND:
            raise ObjectNotFoundError(key) from exc
        if code == "NoSuchBucket":
            raise ObjectStoreUnavailable(f"The S3 bucket does not exist: {exc}") from exc
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise ObjectStoreUnavailable(f"S3 refused the credentials: {exc}") from exc
        raise ObjectStoreUnavailable(f"S3 failed: {exc}") from exc
    except BotoCoreError as exc:  # connection refused, timeouts, a dropped connection
        raise ObjectStoreUnavailable(f"The S3 endpoint is unreachable: {exc}") from exc


class S3ObjectStore(ObjectStore):
    """Objects as S3 objects in `bucket`; keys are used as they are."""

    def __init__(self, client: S3Client, bucket: str, *, multipart_bytes: int = 16 << 20) -> None:
        self.client = client
        self.bucket = bucket
        self._transfer = TransferConfig(
            multipart_threshold=multipart_bytes, multipart_chunksize=multipart_bytes
        )

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3ObjectStore:
        secret = settings.s3_secret_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
            config=Config(
                connect_timeout=settings.s3_connect_timeout_s,
                read_timeout=settings.s3_read_timeout_s,
                retries={"max_attempts": settings.s3_max_attempts, "mode": "standard"},
                # Path-style works on every S3-compatible server, no wildcard DNS needed.
                s3={"addressing_style": "path"},
                max_pool_connections=32,
            ),
        )
        return cls(client, settings.s3_bucket, multipart_bytes=settings.s3_multipart_mb << 20)

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r})"

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (tests and first runs; production makes it)."""
        with _translated(self.bucket):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError:
                self.client.create_bucket(Bucket=self.bucket)

    def put_file(self, key: str, source: Path, *, move: bool = False) -> None:
        validate_key(key)
        with _translated(key):
            # Multipart above the threshold; S3 shows the object only once it completes.
            self.client.upload_file(str(source), self.bucket, key, Config=self._transfer)
        if move:
            source.unlink()

    def put_bytes(self, key: str, data: bytes) -> None:
        validate_key(key)
        with _translated(key):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        with _translated(key):
            reply = self.client.get_object(Bucket=self.bucket, Key=key)
        return io.BufferedReader(_BodyReader(reply, key), _READ_BUFFER)

    def open_with_info(self, key: str) -> tuple[ObjectInfo, BinaryIO]:
        validate_key(key)
        with _translated(key):
            reply = self.client.get_object(Bucket=self.bucket, Key=key)
        info = ObjectInfo(reply["ContentLength"], int(reply["LastModified"].timestamp()))
        return info, io.BufferedReader(_BodyReader(reply, key), _READ_BUFFER)

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        validate_key(key)
        if start >= end:
            return io.BytesIO(b"")
        with _translated(key):
            reply = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}"
            )
        return io.BufferedReader(_BodyReader(reply, key), _READ_BUFFER)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return self.stat(key).size

    def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        with _translated(key):
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(
            size=head["ContentLength"], modified=int(head["LastModified"].timestamp())
        )

    def _keys(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        with _translated(prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        return sorted(key for key in self._keys(prefix) if not _hidden(key))

    def delete(self, key: str) -> None:
        validate_key(key)
        with _translated(key):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> int:
        folder = validate_key(prefix.rstrip("/")) + "/"
        keys = list(self._keys(folder))
        for first in range(0, len(keys), _DELETE_BATCH):
            batch: Sequence[ObjectIdentifierTypeDef] = [
                {"Key": key} for key in keys[first : first + _DELETE_BATCH]
            ]
            with _translated(folder):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
        return sum(1 for key in keys if not _hidden(key))

    def publish_dir(self, staged: Path, prefix: str) -> None:
        folder = validate_key(prefix.rstrip("/"))
        marker = f"{folder}/{PUBLISHED_MARKER}"
        if self._has(marker):
            raise ObjectExistsError(f"{prefix} is already published")
        # Files of an attempt that died before its marker are simply overwritten.
        for batch in publish_batches(staged):
            self._upload_all(staged, folder, batch)
        with _translated(marker):
            try:
                self.client.put_object(Bucket=self.bucket, Key=marker, Body=b"", IfNoneMatch="*")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                    raise ObjectExistsError(f"{prefix} is already published") from exc
                raise
        shutil.rmtree(staged)

    def _has(self, raw_key: str) -> bool:
        with _translated(raw_key):
            try:
                self.client.head_object(Bucket=self.bucket, Key=raw_key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                    return False
                raise
        return True

    def _upload_all(self, staged: Path, folder: str, files: Sequence[Path]) -> None:
        keys = [validate_key(f"{folder}/{path.relative_to(staged).as_posix()}") for path in files]
        # Segments are many and small: several in flight hide the per-request latency.
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self.put_file, keys, files))

    def fetch(self, key: str, dest: Path) -> Path:
        validate_key(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _translated(key):
            # Ranged GETs in parallel for big objects (masters), one GET for small ones.
            self.client.download_file(self.bucket, key, str(dest), Config=self._transfer)
        return dest
