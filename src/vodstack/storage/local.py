"""The object store as a local directory (the embedded profile's origin storage).

Atomicity comes from the filesystem: every object is written to a temp file under
`root/.tmp`, fsynced, then `os.replace`d into place; a published tree is renamed into place in
one `rename(2)`. Temp names live on the same filesystem as the objects, so both are atomic.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import BinaryIO

from vodstack.storage.keys import validate_key, validate_prefix
from vodstack.storage.objectstore import (
    ObjectExistsError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
)

_TMP = ".tmp"
_COPY_BUFFER = 1024 * 1024


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore(ObjectStore):
    """Objects as files under `root`; keys map one-to-one onto relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._tmp = self.root / _TMP
        self._tmp.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _temp_name(self) -> Path:
        return self._tmp / uuid.uuid4().hex

    def _install(self, temp: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        _fsync_file(temp)
        temp.replace(target)
        _fsync_dir(target.parent)

    def put_file(self, key: str, source: Path, *, move: bool = False) -> None:
        self._path(key)  # validate before touching anything
        temp = self._temp_name()
        try:
            if move:
                try:
                    source.rename(temp)
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        raise
                    shutil.copyfile(source, temp)
                    source.unlink()
            else:
                shutil.copyfile(source, temp)
            self._install(temp, key)
        finally:
            temp.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._path(key)
        temp = self._temp_name()
        try:
            temp.write_bytes(data)
            self._install(temp, key)
        finally:
            temp.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFoundError(key) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFoundError(key)
        return path.stat().st_size

    def stat(self, key: str) -> ObjectInfo:
        try:
            info = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFoundError(key) from None
        if not stat.S_ISREG(info.st_mode):
            raise ObjectNotFoundError(key)
        return ObjectInfo(size=info.st_size, modified=int(info.st_mtime))

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        # Walk only the deepest directory the prefix names, not the whole store.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / folder if folder else self.root
        if not start.is_dir():
            return []
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            if Path(dirpath) == self.root:
                dirnames[:] = [d for d in dirnames if d != _TMP]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._prune_empty(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(len(files) for _, _, files in os.walk(folder))
        # Rename first so readers never see a half-deleted tree under the old name.
        doomed = self._temp_name()
        folder.rename(doomed)
        shutil.rmtree(doomed)
        self._prune_empty(folder.parent)
        return count

    def publish_dir(self, staged: Path, prefix: str) -> None:
        target = self._path(prefix.rstrip("/"))
        if target.exists() and any(target.iterdir()):
            raise ObjectExistsError(f"{prefix} is already published")
        temp = self._temp_name()
        try:
            staged.rename(temp)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copytree(staged, temp)
            shutil.rmtree(staged)
        try:
            for dirpath, _, filenames in os.walk(temp):
                for name in filenames:
                    _fsync_file(Path(dirpath) / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                temp.rename(target)  # replaces only an empty directory
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    raise ObjectExistsError(f"{prefix} is already published") from exc
                raise
            _fsync_dir(target.parent)
        finally:
            if temp.exists():
                shutil.rmtree(temp)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def _prune_empty(self, folder: Path) -> None:
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent
