"""Content types and cache lifetimes by file name: manifests change meaning, segments never do."""

from __future__ import annotations

import posixpath

_TYPES: dict[str, str] = {
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".ts": "video/mp2t",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
_MANIFESTS = frozenset({".m3u8", ".mpd"})
DEFAULT_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"


def content_type(name: str) -> str:
    return _TYPES.get(posixpath.splitext(name)[1].lower(), DEFAULT_TYPE)


def is_manifest(name: str) -> bool:
    return posixpath.splitext(name)[1].lower() in _MANIFESTS


def cache_control(name: str, manifest_ttl_s: int) -> str:
    """Segments are immutable (a re-encode is a new asset version); manifests get a short TTL."""
    if is_manifest(name):
        return f"public, max-age={manifest_ttl_s}"
    return IMMUTABLE
