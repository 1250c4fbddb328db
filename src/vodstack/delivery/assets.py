"""The asset layout, in one place: a published asset version as object keys and as edge URLs.

    object key   titles/{title}/{version}/{file path}     (what the pipeline publishes)
    edge URL     /v/{title}/{version}/{file path}?t=...  (what edges, origin and players use)

The pipeline writes with `asset_key_prefix`, the origin and playback read with `asset_key`, tokens
grant `asset_url_prefix`; nothing else spells these templates out.

The URL grammar of the delivery tier: `/v/{title}/{version}/{file path}`.

Matched on the raw (undecoded) path, so `%2e%2e`, backslashes, NUL, empty or dot segments and
absolute paths never reach the filesystem: every segment starts with a letter, digit or `_` and
holds only `[A-Za-z0-9._-]`. The same grammar names files on disk, so a key is also a safe
relative path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vodstack.core.errors import BadRequest, NotFound

_SEGMENT = rb"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
MAX_FILE_DEPTH = 4
_ASSET = re.compile(
    rb"/v/("
    + _SEGMENT
    + rb")/("
    + _SEGMENT
    + rb")/((?:"
    + _SEGMENT
    + rb"/){0,%d}" % (MAX_FILE_DEPTH - 1)
    + _SEGMENT
    + rb")"
)
URL_ROOT = b"/v/"
URL_ROOT_TEXT = URL_ROOT.decode()
#: The edge URL as a route template (what access logs and their readers name the asset route).
URL_ROUTE = f"{URL_ROOT_TEXT}{{title}}/{{version}}/{{file}}"
KEY_ROOT = "titles"


def asset_key_prefix(title: int | str, version: str) -> str:
    """The object-store prefix of one asset version (no trailing slash)."""
    return f"{KEY_ROOT}/{title}/{version}"


def asset_key(title: int | str, version: str, file: str) -> str:
    """The object-store key of one file of an asset version."""
    return f"{asset_key_prefix(title, version)}/{file}"


def asset_url_prefix(title: int | str, version: str) -> str:
    """The URL path prefix of one asset version, which is also what a token grants."""
    return f"{URL_ROOT_TEXT}{title}/{version}/"


@dataclass(frozen=True, slots=True)
class AssetPath:
    """A validated asset URL path; `raw` is also the cache key."""

    raw: bytes
    title: str
    version: str
    file: str  # e.g. "720p/seg_00001.m4s"

    @property
    def prefix(self) -> bytes:
        """What a token grants: every file of this asset version."""
        return asset_url_prefix(self.title, self.version).encode()

    @property
    def store_key(self) -> str:
        """The object-store key: `titles/{title}/{version}/{file}`."""
        return asset_key(self.title, self.version, self.file)

    @property
    def relative(self) -> str:
        """The path under a cache root: `{title}/{version}/{file}`."""
        return f"{self.title}/{self.version}/{self.file}"


def parse_asset_path(raw_path: bytes) -> AssetPath:
    """Validate a raw request path; 404 outside `/v/`, 400 for anything malformed inside it."""
    if not raw_path.startswith(URL_ROOT):
        raise NotFound("Nothing is served here; asset URLs start with /v/.", code="no_route")
    match = _ASSET.fullmatch(raw_path)
    if match is None:
        raise BadRequest(
            "Malformed asset path: expected /v/{title}/{version}/{file} with segments of "
            "letters, digits, '.', '_' or '-' (no '..', no encoding, no empty segments).",
            code="malformed_path",
        )
    title, version, file = (group.decode("ascii") for group in match.groups())
    return AssetPath(raw=raw_path, title=title, version=version, file=file)


def title_of_prefix(prefix: bytes) -> str:
    """The title id of a token prefix such as `b"/v/t1/v2/"` (made by `asset_url_prefix`)."""
    return prefix[len(URL_ROOT) :].split(b"/", 1)[0].decode("ascii")


def asset_from_relative(relative: str) -> AssetPath | None:
    """The asset a file under a cache root stands for, or None if its name is not a valid one."""
    try:
        return parse_asset_path(URL_ROOT + relative.encode("ascii"))
    except (BadRequest, NotFound, UnicodeEncodeError):
        return None


# The preview pass publishes its low rungs as `{version}-preview` (pipeline.jobs.dag): audio and
# video only, no poster, thumbnails or VMAF, so players must not ask for them.
PREVIEW_SUFFIX = "-preview"


def is_preview_version(asset_version: str) -> bool:
    return asset_version.endswith(PREVIEW_SUFFIX)
