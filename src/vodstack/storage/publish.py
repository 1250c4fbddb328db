"""The order a published tree goes up in when the backend cannot rename (S3).

A player reads manifests first and follows them to segments, so segments and init files go up
first, then the rendition playlists that name them, then the top-level files (the master
playlist, the DASH manifest, `asset.json`) that name those; the version's marker goes last.
A reader that finds a manifest therefore finds everything it refers to.
"""

from __future__ import annotations

from pathlib import Path

# Put once, after everything else, with If-None-Match: its presence means "published, whole".
PUBLISHED_MARKER = ".published"
_MANIFEST_SUFFIXES = {".m3u8", ".mpd", ".json"}


def _rank(path: Path, root: Path) -> int:
    if path.suffix not in _MANIFEST_SUFFIXES:
        return 0
    return 1 if len(path.relative_to(root).parts) > 1 else 2


def publish_batches(staged: Path) -> list[list[Path]]:
    """The files of `staged` in upload batches: media, rendition manifests, top-level files."""
    batches: list[list[Path]] = [[], [], []]
    for path in sorted(p for p in staged.rglob("*") if p.is_file()):
        batches[_rank(path, staged)].append(path)
    return [batch for batch in batches if batch]
