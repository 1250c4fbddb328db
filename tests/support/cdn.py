"""The delivery tier under test: synthetic asset trees, settings, real origin/edge processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.waiting import eventually
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology
from vodstack.supervisor.launcher import free_ports

SEGMENT_BYTES = 300_000


def write_asset(
    objects: Path,
    title: str,
    version: str = "v1",
    *,
    renditions: tuple[str, ...] = ("360p", "720p"),
    segments: int = 3,
    segment_bytes: int = SEGMENT_BYTES,
) -> dict[str, bytes]:
    """A published asset version with synthetic bytes; returns {file path: content}."""
    files: dict[str, bytes] = {
        "master.m3u8": b"#EXTM3U\n" + b"".join(b"%s/index.m3u8\n" % r.encode() for r in renditions),
        "manifest.mpd": b"<?xml version='1.0'?><MPD/>",
        "poster.jpg": os.urandom(2048),
        "quality.json": b'{"vmaf": {}}',
    }
    for rendition in renditions:
        files[f"{rendition}/init.mp4"] = os.urandom(1024)
        files[f"{rendition}/index.m3u8"] = b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
        for n in range(segments):
            files[f"{rendition}/seg_{n:05d}.m4s"] = os.urandom(segment_bytes)
    root = objects / asset_key_prefix(title, version)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_settings(data_dir: Path, **cdn: object) -> Settings:
    regions = cdn.get("regions", ["eu", "us"])
    per_region = cdn.get("edges_per_region", 2)
    assert isinstance(regions, list) and isinstance(per_region, int)
    names = ["origin"] + [f"edge-{r}-{n}" for r in regions for n in range(1, per_region + 1)]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    options: dict[str, object] = {"regions": regions, "edges_per_region": per_region, **cdn}
    return with_secrets(load_settings(data_dir=data_dir, ports=ports, cdn=options))


@dataclass
class Cluster:
    """Origin and edges running as real granian processes, owned by the test."""

    settings: Settings
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def topology(self) -> Topology:
        return Topology.from_settings(self.settings)

    @property
    def objects(self) -> Path:
        return self.settings.data_dir / "objects"

    def url(self, name: str) -> str:
        if name == "origin":
            return self.topology.origin_url
        return self.topology.edge(name).url

    def start(self, name: str) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "vodstack.cdn.server", name, "--settings-stdin"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        assert process.stdin is not None
        process.stdin.write(self.settings.dump_for_child().encode())
        process.stdin.close()
        self.processes[name] = process
        self._wait_healthy(name, process)

    def _wait_healthy(self, name: str, process: subprocess.Popen[bytes]) -> None:
        def healthy() -> bool:
            if process.poll() is not None:
                log = (self.log_dir / f"{name}.log").read_text()
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            try:
                return httpx.get(f"{self.url(name)}/healthz", timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        eventually(healthy, timeout_s=15, message=f"{name} did not become healthy")

    def stop(self, name: str, *, kill: bool = False) -> None:
        process = self.processes.pop(name)
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def settle(self, name: str) -> None:
        """Wait until the edge has no fill in progress (its last miss is committed to disk)."""

        def idle() -> bool:
            return not httpx.get(f"{self.url(name)}/healthz").json()["fills_in_progress"]

        eventually(idle, interval_s=0.02, message=f"{name} fills did not finish")

    def metric(self, name: str, metric: str, labels: str = "") -> float:
        text = httpx.get(f"{self.url(name)}/metrics", timeout=5).text
        wanted = f"{metric}{{{labels}}}" if labels else metric
        for line in text.splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        raise KeyError(wanted)

    def signed(self, title: str, version: str = "v1", ttl: float = 600) -> str:
        signer = TokenSigner.from_settings(self.settings)
        return signer.sign(asset_url_prefix(title, version), "test-session", ttl)

    def asset_url(self, name: str, title: str, file: str, version: str = "v1") -> str:
        return f"{self.url(name)}/v/{title}/{version}/{file}?t={self.signed(title, version)}"
