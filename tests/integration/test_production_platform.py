"""The production profile end to end: `vodstack up --profile production --config FILE` on the
machine's PostgreSQL, Redis and RabbitMQ and a SeaweedFS of the test's own; a short title is
ingested, encoded by the Celery worker `up` supervises, published, and played through an edge.

The config is the sample `deploy/production.toml` with each engine given a place of the
test's own (throw-away databases, a Redis key prefix, a bucket, a queue), so the sample is what
is tested. A missing server is a test error naming it (never a skip in CI).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.celery_workers import delete_queue, require_rabbitmq, unique_queue
from tests.support.postgres import throwaway_database
from tests.support.redis_server import REDIS_URL, redis_prefix
from tests.support.seaweedfs import SeaweedFS
from tests.support.waiting import eventually
from vodstack.pipeline.media import pattern_clip
from vodstack.player.headless.gateway import GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.storage.s3 import S3ObjectStore
from vodstack.supervisor.launcher import RunningPlatform, platform_env, running_platform
from vodstack.supervisor.production import DATABASE_SERVICES
from vodstack.supervisor.status import ServiceStatus

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[2]
TITLE = "Production Pattern"
CLIP_S = 8  # two 4 s segments
SECRET = "p" * 48


def _config(path: Path, databases: dict[str, str], prefix: str, queue: str) -> Path:
    """deploy/production.toml with the test's own places in each engine."""
    text = (REPO / "deploy" / "production.toml").read_text()
    for service, url in databases.items():
        # Quoted: `vodstack_recs` is also the start of `vodstack_recs_watched`.
        sample = f'"postgresql+psycopg://postgres@127.0.0.1:5432/vodstack_{service}"'
        assert sample in text, f"the sample config no longer names {sample}"
        text = text.replace(sample, f'"{url}"')
    # No TLS proxy in front here: the gateway itself is the public address.
    text = text.replace('public_url = "https://vod.example.com"\n', "")
    text = text.replace("redis://127.0.0.1:6379/0", REDIS_URL)
    text = text.replace('prefix = "vodstack"', f'prefix = "{prefix}"')
    text = text.replace(
        'backend = "redis"\n', f'backend = "redis"\nredis_prefix = "{prefix}:events"\n'
    )
    # A small ladder and short chunks keep the encode short; the queue is the test's own.
    text = text.replace(
        'executor = "celery"\n',
        f'executor = "celery"\ncelery_queue = "{queue}"\nchunk_s = 4.0\n'
        "ladder = [[144, 150], [240, 300]]\npreview_height = 0\nworkers = 1\n",
    )
    path.write_text(text)
    return path


@pytest.fixture
def production_platform(
    seaweedfs: SeaweedFS, tmp_path: Path
) -> Iterator[tuple[RunningPlatform, dict[str, str], S3ObjectStore]]:
    require_rabbitmq()
    bucket = seaweedfs.new_store()
    queue = unique_queue()
    with ExitStack() as stack:
        databases = {s: stack.enter_context(throwaway_database()) for s in DATABASE_SERVICES}
        prefix = stack.enter_context(redis_prefix())
        stack.callback(delete_queue, queue)
        config = _config(tmp_path / "production.toml", databases, prefix, queue)
        # Demo accounts and catalog (the viewer who plays; no demo media): off in the sample.
        env = {
            "VODSTACK_SECRET_KEY": SECRET,
            "VODSTACK_SEED_DEMO_DATA": "true",
            # Many platforms share the test machine: a slow answer is not what this is about.
            "VODSTACK_UPSTREAM_TIMEOUT_S": "30",
            "VODSTACK_SUPERVISOR__START_TIMEOUT_S": "400",
            **seaweedfs.env(bucket.bucket),
        }
        platform = stack.enter_context(
            running_platform(
                tmp_path / "data",
                extra_env=env,
                config=config,
                up_args=("--profile", "production", "--demo"),
                timeout=600,
            )
        )
        yield platform, {**env, "VODSTACK_CONFIG": str(config)}, bucket


def _viewer(url: str) -> GatewaySession:
    """A viewer's session. Production cookies are `Secure` (HTTPS in front); a browser sends
    them to http://127.0.0.1 as well (loopback is a secure context), httpx does not: this
    client, which talks to the gateway only, sends its whole jar as a browser would."""
    client = httpx.Client(base_url=url, timeout=10.0)

    def send_secure_cookies(request: httpx.Request) -> None:
        jar = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
        if jar:
            request.headers["Cookie"] = jar

    client.event_hooks["request"] = [send_secure_cookies]
    return GatewaySession(url, client=client)


def _workers(platform: RunningPlatform) -> list[ServiceStatus]:
    return [svc for svc in platform.status().services if svc.kind == "worker"]


def _status_json(platform: RunningPlatform, env: dict[str, str]) -> dict[str, object]:
    command = [sys.executable, "-m", "vodstack", "status", "--json"]
    done = subprocess.run(
        command,
        env=platform_env(platform.data_dir, platform.ports, env),
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only: loading the CLI takes a while on a busy machine
    )
    assert done.returncode == 0, done.stdout + done.stderr
    status: dict[str, object] = json.loads(done.stdout)
    return status


@pytest.mark.timeout(1500)
def test_a_title_ingested_on_the_production_profile_is_encoded_by_its_worker_and_plays(
    production_platform: tuple[RunningPlatform, dict[str, str], S3ObjectStore], tmp_path: Path
) -> None:
    platform, env, bucket = production_platform
    (worker,) = _workers(platform)
    assert worker.state == "healthy" and worker.pid is not None
    services = _status_json(platform, env)["services"]
    assert isinstance(services, list)
    assert [svc["live"] for svc in services if svc["kind"] == "worker"] == [True]

    source = pattern_clip(tmp_path / "clip.mp4", CLIP_S)
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title", TITLE, "--wait"]
    ingest = subprocess.run(
        command,
        env=platform_env(platform.data_dir, platform.ports, env),
        capture_output=True,
        text=True,
        timeout=900,
    )
    worker_log = Path(worker.log).read_text(errors="replace")[-3000:]
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr + worker_log
    assert bucket.list("titles/"), "the title was published to the bucket"
    assert not (platform.data_dir / "objects" / "titles").exists(), "nothing on the local disk"

    logins = platform.logins()
    with _viewer(platform.url) as viewer:
        viewer.log_in(logins["viewer_email"], logins["viewer_password"])
        viewer.choose_profile()
        player = HeadlessPlayer(viewer, PlayOptions(resume=False))
        try:
            report = player.play(viewer.find_title(TITLE))
        finally:
            player.close()
    assert report.errors == []
    assert len(report.segments) == CLIP_S // 4
    origin = f":{platform.ports['origin']}"
    assert report.edges_used and not any(origin in edge for edge in report.edges_used)

    # The worker is supervised: killed, it is started again.
    os.kill(worker.pid, signal.SIGKILL)
    restarted = eventually(
        lambda: next((w for w in _workers(platform) if w.restarts and w.pid), None),
        timeout_s=60,
        message="the killed worker was not restarted",
    )
    assert restarted.pid != worker.pid
