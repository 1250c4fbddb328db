"""Fixtures for the player tests: synthetic traces and videos, and the shared ABR data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.player.fakes import make_video
from vodstack.player.video import Video

#: The shared data set lives beside the repository (../shared/data/abr); it is never copied in.
ABR_DATA = Path(__file__).resolve().parents[2] / "../shared/data/abr"


@pytest.fixture
def abr_data() -> Path:
    """The real traces and chunk sizes, or a clean skip where they are absent."""
    if not (ABR_DATA / "traces-train").is_dir() or not (ABR_DATA / "video_sizes").is_dir():
        pytest.skip("shared ABR data (../shared/data/abr) not present")
    return ABR_DATA.resolve()


@pytest.fixture
def video() -> Video:
    return make_video()
