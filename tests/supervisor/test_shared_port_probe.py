"""Instances sharing a port (SO_REUSEPORT: the gateways) are probed by pid: a probe another
instance answered says nothing of the one probed (real processes on a real shared port)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.ports import free_port
from vodstack.config.settings import SupervisorSettings
from vodstack.core.processes import child_dies_with_us
from vodstack.supervisor.liveness import Liveness
from vodstack.supervisor.process import ManagedProcess, Probe
from vodstack.supervisor.registry import ServiceSpec

# A /healthz on a SO_REUSEPORT socket that says its pid, as every service's does (core/app.py).
SIBLING = r"""
import asyncio, json, os, socket, sys

async def serve(reader, writer):
    while True:  # keeps the connection alive, as uvicorn does, until the client closes it
        try:
            request = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            break
        body = json.dumps({"service": "gateway", "ok": True, "pid": os.getpid()}).encode()
        close = b"connection: close" in request.lower()
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        head += b"connection: close\r\n" if close else b""
        writer.write(head + b"content-length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        if close:
            break
    writer.close()

async def main():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    server = await asyncio.start_server(serve, sock=sock)
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


@contextmanager
def sibling(port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SIBLING, str(port)],
        stdout=subprocess.PIPE,
        preexec_fn=child_dies_with_us(),
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield process
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def _gateway(tmp_path: Path, port: int, popen: subprocess.Popen[bytes]) -> ManagedProcess:
    spec = ServiceSpec("gateway", "vodstack.gateway.app:create_app", port=port)
    proc = ManagedProcess(spec, port, tmp_path / "settings.json", tmp_path, reuse_port=True)
    proc._popen = popen  # the process this record stands for (normally from `start`)
    return proc


async def _probe(proc: ManagedProcess) -> Probe:
    async with httpx.AsyncClient() as client:
        return await proc.probe(client)


def test_a_probe_answered_by_a_sibling_on_the_shared_port_is_not_this_instances(
    tmp_path: Path,
) -> None:
    port = free_port()
    with sibling(port) as answering:
        # A gateway instance still starting (not yet bound): only its sibling answers.
        starting = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"],
            preexec_fn=child_dies_with_us(),
        )
        try:
            assert asyncio.run(_probe(_gateway(tmp_path, port, starting))) is Probe.ELSEWHERE
        finally:
            starting.kill()  # kill -9
            starting.wait(10)
        assert asyncio.run(_probe(_gateway(tmp_path, port, answering))) is Probe.HEALTHY


def test_an_inconclusive_probe_only_schedules_the_next_one() -> None:
    liveness = Liveness(SupervisorSettings(liveness_interval_s=2.0))
    liveness.restarted(0.0)
    liveness.observe(True, 1.0)
    liveness.observe(False, 3.0)
    liveness.inconclusive(5.0, sent_at=4.0)
    assert liveness.failures == 1 and not liveness.due(5.9) and liveness.due(6.0)


def test_each_probe_of_a_shared_port_takes_a_new_connection_so_every_instance_is_reached(
    tmp_path: Path,
) -> None:
    """The supervisor's client keeps connections alive; on a shared port that would ask the
    instance that accepted the first connection forever, and its sibling would never be seen
    healthy (the platform did not come up with two gateways)."""
    port = free_port()
    with sibling(port) as first, sibling(port) as second:
        records = [_gateway(tmp_path, port, first), _gateway(tmp_path, port, second)]

        async def probes() -> list[list[Probe]]:
            async with httpx.AsyncClient() as client:  # one client, as the supervisor's
                return [[await proc.probe(client) for _ in range(10)] for proc in records]

        seen = asyncio.run(probes())
    assert all(Probe.HEALTHY in answers for answers in seen), seen
