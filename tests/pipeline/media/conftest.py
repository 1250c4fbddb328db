"""Media fixtures: synthesized at test time, tiny (320x240, 12 s), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from vodstack.pipeline.media import Pattern, make_synthetic

from .asset_chain import BuiltAsset, build_asset


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s of testsrc2 at 320x240, 25 fps, with a tone and a burned-in title."""
    path = tmp_path_factory.mktemp("src") / "clip.mp4"
    return make_synthetic(
        path,
        Pattern.TESTSRC2,
        duration_s=12,
        width=320,
        height=240,
        title="Test Clip",
        preset="ultrafast",
    )


@pytest.fixture(scope="session")
def asset(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltAsset:
    return build_asset(clip, tmp_path_factory.mktemp("e2e"))
