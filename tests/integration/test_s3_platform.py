"""The platform on S3 storage: a clip ingested into SeaweedFS plays through an edge.

Masters, the pipeline's intermediate outputs and the published asset all live in the bucket;
the data directory holds no object, so every byte the player gets came from S3 through the
origin's streamed path and an edge's fill.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline_env import NO_QUALITY_REPORT
from tests.support.seaweedfs import SeaweedFS
from vodstack.delivery.assets import asset_key
from vodstack.pipeline.media import pattern_clip
from vodstack.player.headless.gateway import GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.storage.s3 import S3ObjectStore
from vodstack.supervisor.launcher import RunningPlatform, platform_env, running_platform

pytestmark = pytest.mark.slow

TITLE = "S3 Pattern"
CLIP_S = 8  # two 4 s segments


@pytest.fixture(scope="module")
def bucket(seaweedfs: SeaweedFS) -> S3ObjectStore:
    return seaweedfs.new_store()


@pytest.fixture(scope="module")
def s3_platform(
    seaweedfs: SeaweedFS, bucket: S3ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    data_dir: Path = tmp_path_factory.mktemp("s3-platform")
    env = {**seaweedfs.env(bucket.bucket), **NO_QUALITY_REPORT}
    with running_platform(data_dir, extra_env=env) as running:
        yield running


def test_a_clip_ingested_into_s3_plays_through_an_edge(
    s3_platform: RunningPlatform,
    seaweedfs: SeaweedFS,
    bucket: S3ObjectStore,
    tmp_path: Path,
) -> None:
    source = pattern_clip(tmp_path / "clip.mp4", CLIP_S)
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title", TITLE, "--wait"]
    env = platform_env(s3_platform.data_dir, s3_platform.ports, seaweedfs.env(bucket.bucket))
    ingest = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert bucket.list("masters/"), "the master went to the bucket"
    assert not (s3_platform.data_dir / "objects" / "titles").exists()

    logins = s3_platform.logins()
    with GatewaySession(s3_platform.url) as viewer:
        viewer.log_in(logins["viewer_email"], logins["viewer_password"])
        viewer.choose_profile()
        title_id = viewer.find_title(TITLE)
        player = HeadlessPlayer(viewer, PlayOptions(resume=False))
        try:
            report = player.play(title_id)
        finally:
            player.close()

    assert report.errors == []
    assert len(report.segments) == CLIP_S // 4
    origin = f":{s3_platform.ports['origin']}"
    assert report.edges_used and not any(origin in edge for edge in report.edges_used)
    for fetched in report.files:
        _, _, title, version, file = fetched.path.split("/", 4)
        stored = bucket.read_bytes(asset_key(int(title), version, file))
        assert hashlib.sha256(stored).hexdigest() == fetched.sha256, fetched.path
