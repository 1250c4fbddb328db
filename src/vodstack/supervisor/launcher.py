"""Launch a whole platform (`vodstack up`) as a child process on free ports.

For integration tests and benchmarks: they exercise exactly what an operator runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from vodstack.config import load_settings
from vodstack.core.processes import child_dies_with_us
from vodstack.supervisor.registry import platform_services
from vodstack.supervisor.status import PlatformStatus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: every socket stays bound until all are picked, so the
    kernel cannot hand the same port out twice (separate `free_port` calls can collide)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


@dataclass
class RunningPlatform:
    url: str
    data_dir: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log_path: Path

    def logins(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(
            (self.data_dir / "secrets" / "demo_logins.json").read_text()
        )
        return data

    def status(self) -> PlatformStatus:
        return PlatformStatus.model_validate_json(
            (self.data_dir / "run" / "status.json").read_text()
        )

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def platform_env(data_dir: Path, ports: dict[str, int], extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    env["VODSTACK_DATA_DIR"] = str(data_dir)
    env["VODSTACK_PORTS"] = json.dumps(ports)
    env.update(extra)
    return env


@contextmanager
def running_platform(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    demo_media: bool = False,
    timeout: float = 300.0,
    config: Path | None = None,
    up_args: Sequence[str] = (),
    port_base: int | None = None,
) -> Iterator[RunningPlatform]:
    """`vodstack up [--config FILE] UP_ARGS` as a child process; yields once the gateway answers
    and demo data exists (within `timeout` seconds, the supervisor's start timeout too).

    Demo media (ffmpeg on every core for minutes) is off unless asked for. Ports are free ones
    the kernel hands out, or consecutive ones from `port_base` (a block reserved for the caller
    on a shared host).
    """
    settings = load_settings(config, data_dir=data_dir)
    names = [spec.name for spec in platform_services(settings)]
    numbers = free_ports(len(names)) if port_base is None else range(port_base, 1 << 16)
    ports = dict(zip(names, numbers, strict=port_base is None))
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "up.log"
    patience = {
        "VODSTACK_DEMO_MEDIA": str(demo_media).lower(),
        # The supervisor gives up no sooner than its caller: on a host running other platforms
        # (a test suite on several workers) 17 services can take longer than the 60 s default.
        "VODSTACK_SUPERVISOR__START_TIMEOUT_S": f"{timeout:g}",
    }
    env = platform_env(data_dir, ports, {**patience, **(extra_env or {})})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "vodstack", "up"),
                *(("--config", str(config)) if config is not None else ()),
                *up_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # A test run that is killed takes its platforms along (core.processes).
            preexec_fn=child_dies_with_us(),
        )
    platform = RunningPlatform(
        f"http://127.0.0.1:{ports['gateway']}", data_dir, ports, process, log_path
    )
    try:
        _wait_ready(platform, timeout)
        yield platform
    finally:
        stop_platform(platform)


def _wait_ready(platform: RunningPlatform, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if platform.process.poll() is not None:
            raise RuntimeError(f"vodstack up exited early:\n{platform.log_path.read_text()}")
        if "vodstack is up" in platform.log_path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"platform not ready in {timeout}s:\n{platform.log_path.read_text()}")


def stop_platform(platform: RunningPlatform, timeout: float = 30.0) -> int:
    if platform.process.poll() is None:
        platform.process.send_signal(signal.SIGTERM)
        try:
            platform.process.wait(timeout)
        except subprocess.TimeoutExpired:
            platform.process.kill()
            platform.process.wait()
    return platform.process.returncode


@contextmanager
def gateway_client(platform: RunningPlatform) -> Iterator[httpx.Client]:
    """A cookie-keeping client that has fetched the CSRF cookie and sends it back as a header."""
    with httpx.Client(base_url=platform.url, timeout=10.0) as client:
        client.get("/login")
        token = client.cookies.get("vodstack_csrf")
        if token:
            client.headers["X-CSRF-Token"] = token
        yield client


def ingest(
    platform: RunningPlatform,
    source: Path,
    title: str,
    timeout: float = 900,
    options: Sequence[str] = (),
) -> None:
    """`vodstack ingest SOURCE --title TITLE --wait [OPTIONS]` against this platform."""
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title", title, "--wait"]
    command += options
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"ingest of {source} failed:\n{result.stdout}{result.stderr}")
