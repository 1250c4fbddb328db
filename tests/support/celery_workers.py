"""Celery workers for tests: RabbitMQ on the machine, `vodstack worker` processes the test owns,
and a network namespace that reaches only the broker and S3.

Isolation on the shared RabbitMQ: every test gets a queue name of its own
(`t-{random}.pipeline`; the controller's status and reply queues derive from it and are
exclusive) and deletes it afterwards. A RabbitMQ that does not answer is a test error.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from kombu.connection import Connection

from tests.support.ports import free_port
from vodstack.core.processes import child_dies_with_us

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
NOBODY = 65534


def require_rabbitmq(url: str = BROKER_URL) -> None:
    """Fail clearly (never skip) when RabbitMQ is not there."""
    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        raise RuntimeError(
            f"RabbitMQ is not reachable at {url} ({exc}); the Celery tests need it running"
        ) from exc


def unique_queue() -> str:
    return f"t-{secrets.token_hex(6)}.pipeline"


def delete_queue(name: str, url: str = BROKER_URL) -> None:
    with Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        with suppress(Exception):
            channel.queue_delete(queue=name)


def queue_depth(name: str, url: str = BROKER_URL) -> int:
    with Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        _, messages, _ = channel.queue_declare(queue=name, passive=True)
        return int(messages)


@dataclass
class WorkerProcess:
    """A running `vodstack worker`; the test that started it stops it."""

    process: subprocess.Popen[bytes]
    scratch: Path
    log: Path
    queue: str
    broker_url: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pool_pids(self) -> list[int]:
        """The pool processes the worker forked (they run the tasks)."""
        return _children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Its own queue (jobs.dispatch, "Host affinity") goes with it; in case it does not (a
        # kill at the wrong moment), the test removes it. A namespace keeps the host's name.
        delete_queue(f"{self.queue}.host.{socket.gethostname()}.{self.process.pid}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for child in _children(current):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def new_scratch(owner: int | None = None) -> Path:
    """A scratch directory outside the test's tmp_path (whose parents only root may enter)."""
    path = Path(tempfile.mkdtemp(prefix="vodstack-worker-"))
    if owner is not None:
        os.chown(path, owner, owner)
    return path


def start_worker(
    *,
    scratch: Path,
    queue: str,
    env: dict[str, str],
    broker_url: str = BROKER_URL,
    concurrency: int = 1,
    wrapper: list[str] | None = None,
) -> WorkerProcess:
    """`vodstack worker` in the foreground of a child process, optionally wrapped (a network
    namespace, another user); it logs to `scratch.parent/NAME.log`."""
    command = [
        *(wrapper or []),
        sys.executable,
        "-m",
        "vodstack",
        "worker",
        "--scratch",
        str(scratch),
        "--broker",
        broker_url,
        "--queue",
        queue,
        "--concurrency",
        str(concurrency),
    ]
    log = Path(tempfile.gettempdir()) / f"{scratch.name}.log"
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "PYTHONDONTWRITEBYTECODE": "1",
        "VODSTACK_LOG_LEVEL": "info",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env,
            preexec_fn=child_dies_with_us(),
        )
    return WorkerProcess(process, scratch, log, queue, broker_url)


# -- a network namespace reaching only the broker and S3 -------------------------------------


class _Forwarder:
    """A TCP forwarder from `listen` to `target`, owned by the test (threads, no process)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(listen)
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="forwarder")
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        with suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        for sock in self._sockets:
            sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        source.close()  # each socket is the source of exactly one pump


@dataclass
class Namespace:
    """`ip netns` NAME with a veth pair; `host_ip` is the host's end, the only peer it has."""

    name: str
    host_ip: str
    forwarders: list[_Forwarder] = field(default_factory=list)

    def expose(self, target: tuple[str, int]) -> tuple[str, int]:
        """Make `target` (on the host's loopback) reachable from inside at the returned
        address: a forwarder on the veth's host end."""
        port = free_port()
        self.forwarders.append(_Forwarder((self.host_ip, port), target))
        return self.host_ip, port

    def wrapper(self, *, user: int | None = None) -> list[str]:
        """The command prefix that runs a program inside (as `user`, when given)."""
        prefix = ["ip", "netns", "exec", self.name]
        if user is not None:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"]
        return prefix


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


@contextmanager
def network_namespace() -> Iterator[Namespace]:
    """A fresh namespace whose only link is a veth pair to the host (no route elsewhere)."""
    token = secrets.token_hex(3)
    name, host_if, ns_if = f"vs-{token}", f"vsh{token}", f"vsn{token}"
    octets = secrets.randbelow(250) + 1, secrets.randbelow(63) * 4
    host_ip, ns_ip = f"10.213.{octets[0]}.{octets[1] + 1}", f"10.213.{octets[0]}.{octets[1] + 2}"
    _ip("netns", "add", name)
    namespace = Namespace(name, host_ip)
    try:
        _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _ip("link", "set", ns_if, "netns", name)
        _ip("addr", "add", f"{host_ip}/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        _ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        _ip("-n", name, "link", "set", ns_if, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        yield namespace
    finally:
        for forwarder in namespace.forwarders:
            forwarder.close()
        with suppress(RuntimeError):
            _ip("link", "del", host_if)
        _ip("netns", "del", name)


def remove_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with suppress(OSError):
        (Path(tempfile.gettempdir()) / f"{path.name}.log").unlink()
