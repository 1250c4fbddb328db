"""Redis for the shared-state tests: the machine's Redis (DB 2, a key prefix per test), and a
private `redis-server` a test starts on a free port to kill it mid-test.

The machine's Redis (127.0.0.1:6379) runs on the development machine and in CI. Unreachable in
CI (`CI` set), the Redis-backed tests fail saying so: a silent skip would let the shared
backends rot. Locally they are skipped with the reason.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.ports import free_port
from tests.support.waiting import eventually
from vodstack.core.processes import child_dies_with_us

# DB 2: the other Redis users of the test suite (the events log) use other indexes.
REDIS_URL = os.environ.get("VODSTACK_TEST_SHARED_REDIS_URL", "redis://127.0.0.1:6379/2")


def closed_port_url() -> str:
    """A Redis URL where nothing listens (a port just freed)."""
    return f"redis://127.0.0.1:{free_port()}/0"


@contextmanager
def redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A fresh key prefix on the test Redis at `url`; its keys are deleted afterwards."""
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        message = f"Redis is unreachable at {url} ({exc}); start it or deselect -m redis"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"vodstack-test:{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


class PrivateRedis:
    """A `redis-server` of this test's own (no persistence), which the test may kill."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        # Owned by the test: killed by `stop()`, and by the kernel if the test process dies.
        self._proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_dies_with_us(),
        )
        client = redis.Redis(port=self.port, socket_timeout=1)

        def answers() -> bool:
            if self._proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {self._proc.returncode}")
            return bool(client.ping())

        try:
            eventually(
                answers,
                timeout_s=30,
                tolerate=(redis.ConnectionError,),
                message=f"redis-server on port {self.port} never answered",
            )
        except BaseException:
            self.stop()
            raise
        finally:
            client.close()

    def stop(self) -> None:
        """SIGKILL: the way a crashed Redis goes, no goodbye to connected clients."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait(timeout=30)


@contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(workdir)
    try:
        yield server
    finally:
        server.stop()
