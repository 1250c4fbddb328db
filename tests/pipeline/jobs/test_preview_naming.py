"""Players tell a preview version by its name; the pipeline's naming and delivery's check agree."""

from __future__ import annotations

from vodstack.delivery.assets import is_preview_version
from vodstack.pipeline.jobs.dag import preview_version


def test_a_preview_version_is_recognised_by_its_name() -> None:
    assert is_preview_version(preview_version("3f2a"))
    assert not is_preview_version("3f2a")
