from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline_env import NO_QUALITY_REPORT
from tests.support.seaweedfs import seaweedfs
from vodstack.supervisor.launcher import RunningPlatform, running_platform

__all__ = ["seaweedfs"]  # the S3 platform's test uses it


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    """The real platform, every service its own process, shared by the integration tests."""
    data_dir: Path = tmp_path_factory.mktemp("platform")
    with running_platform(data_dir, extra_env=NO_QUALITY_REPORT) as running:
        yield running
