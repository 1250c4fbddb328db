"""The bad-media corpus through `vodstack ingest` against a running platform (online mode):
refused files create no title at all; a damaged master's job fails naming the time position,
and its title is flagged `failed` for the admins and never shown to viewers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.badmedia import bad_corpus
from tests.support.waiting import eventually
from vodstack.delivery.assets import KEY_ROOT
from vodstack.player.headless.gateway import GatewaySession
from vodstack.supervisor.launcher import RunningPlatform, platform_env, running_platform

pytestmark = pytest.mark.slow

SMALL_JOBS = {
    "VODSTACK_PIPELINE__LADDER": "[[144, 150]]",
    "VODSTACK_PIPELINE__CHUNK_S": "4",
    "VODSTACK_PIPELINE__WORKERS": "2",
    "VODSTACK_PIPELINE__ENCODER_THREADS": "1",
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    with running_platform(tmp_path_factory.mktemp("platform"), extra_env=SMALL_JOBS) as running:
        yield running


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return bad_corpus(tmp_path_factory.mktemp("bad-media"))


def _ingest(platform: RunningPlatform, source: Path, title: str) -> tuple[int, str]:
    env = platform_env(platform.data_dir, platform.ports, SMALL_JOBS)
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title", title, "--wait"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def _titles_named(platform: RunningPlatform, who: str, name: str) -> list[dict[str, object]]:
    """The titles called `name` that the demo `who` ("admin" or "viewer") finds by search."""
    logins = platform.logins()
    with GatewaySession(platform.url) as session:
        session.log_in(logins[f"{who}_email"], logins[f"{who}_password"])
        session.choose_profile()
        items = session.get("/api/search", params={"q": name}).json()["items"]
    return [item for item in items if item["name"] == name]


@pytest.mark.parametrize("name", ["empty", "notes", "truncated", "song", "tiny"])
def test_a_refused_file_creates_no_title(
    platform: RunningPlatform, corpus: dict[str, Path], name: str
) -> None:
    code, output = _ingest(platform, corpus[name], f"Refused {name}")
    assert code == 2 and f"rejected: {corpus[name].name}: " in output, output
    assert _titles_named(platform, "admin", f"Refused {name}") == []


def test_a_damaged_master_fails_and_its_title_never_reaches_viewers(
    platform: RunningPlatform, corpus: dict[str, Path]
) -> None:
    code, output = _ingest(platform, corpus["zeroed"], "Damaged Master")
    assert code == 1, output
    assert re.search(r"corrupt (video|audio) data near 00:00:0[12]\.\d", output), output
    eventually(
        lambda: (
            [t["availability"] for t in _titles_named(platform, "admin", "Damaged Master")]
            == ["failed"]
        ),
        timeout_s=60,
        interval_s=0.5,
        message="the title was never flagged failed",
    )
    assert _titles_named(platform, "viewer", "Damaged Master") == []
    assert not (platform.data_dir / "objects" / KEY_ROOT).exists() or not any(
        (platform.data_dir / "objects" / KEY_ROOT).rglob("asset.json")
    )
