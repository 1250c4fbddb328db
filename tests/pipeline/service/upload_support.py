"""Shared by the service tests (a plain module: conftest modules are not importable by name)."""

from __future__ import annotations

from pathlib import Path

UPLOAD_LIMIT = 64 * 1024


def accept_anything(path: Path) -> str | None:
    """A stand-in for the media probe: files starting with GOOD are fine."""
    return None if path.read_bytes().startswith(b"GOOD") else "This is not a video file."
