"""`vodstack ingest --series`: the target options are checked before anything is uploaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vodstack.config.settings import DEFAULT_PORTS
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import free_port


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pattern_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", 1)


def _ingest(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    # Ports nobody listens on: never a platform another test (or person) is running.
    env["VODSTACK_PORTS"] = json.dumps({name: free_port() for name in DEFAULT_PORTS})
    env["VODSTACK_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "vodstack", "ingest", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--series", "3", "--season", "1"], "go together"),
        (["--series", "3", "--season", "1", "--episode", "2", "--title-id", "4"], "exactly one"),
    ],
)
def test_incomplete_or_conflicting_targets_are_refused(
    tmp_path: Path, clip: Path, args: list[str], says: str
) -> None:
    result = _ingest(tmp_path, str(clip), *args)
    assert result.returncode == 2
    assert says in result.stdout + result.stderr


def test_an_episode_needs_the_catalog(tmp_path: Path, clip: Path) -> None:
    result = _ingest(tmp_path, str(clip), "--series", "3", "--season", "1", "--episode", "2")
    assert result.returncode == 1
    assert "catalog is not running" in result.stdout + result.stderr
