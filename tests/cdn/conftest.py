"""Fixtures for the delivery tier: a real origin and edges, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cdn import Cluster, make_settings
from tests.support.seaweedfs import seaweedfs

__all__ = ["seaweedfs"]  # the S3 origin's tests use it


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Origin + 2 regions x 2 edges, shared by a test module (tests use distinct titles)."""
    root = tmp_path_factory.mktemp("cdn")
    (root / "logs").mkdir()
    running = Cluster(make_settings(root / "data"), root / "logs")
    running.objects.mkdir(parents=True)
    try:
        running.start("origin")
        for name in running.topology.names:
            running.start(name)
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
