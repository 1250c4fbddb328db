"""Object keys: what a valid key is, and where the pipeline puts things.

Keys are `/`-separated relative names, the same on every backend. Validation is strict so a key
from a request can never name a file outside the store.

    masters/{title_id}/{upload_id}{ext}           uploaded source files
    work/{job_id}/...                             a job's intermediate outputs (chunks, renditions)
    titles/{title_id}/{asset_version}/...         published asset versions, immutable
                                                  (the layout is delivery/assets.py's)
    subtitles/{title_id}/...                      a title's current subtitles, copied into
                                                  every version it publishes (delivery.subtitles)
    settings/{title_id}.json                      a title's own pipeline settings (encryption),
                                                  read when a job of it plans (jobs.title_settings)
"""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[A-Za-z0-9._=+-]+$")
MAX_KEY_LENGTH = 1024


class InvalidKeyError(ValueError):
    """A key that could escape the store or is not portable across backends."""


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative object key, else raise `InvalidKeyError`."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"object key must be 1..{MAX_KEY_LENGTH} characters: {key!r}")
    if "\\" in key or key.startswith("/") or "\x00" in key:
        raise InvalidKeyError(f"object key must be relative and use '/': {key!r}")
    for segment in key.split("/"):
        # A leading dot is refused: it rules out "." and "..", and backends keep their own
        # bookkeeping (temp files) under dot-names no key can reach.
        if not segment or segment.startswith(".") or not _SEGMENT.match(segment):
            raise InvalidKeyError(f"object key has an invalid segment {segment!r}: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything) or a valid key, optionally ending with '/'."""
    if prefix == "":
        return prefix
    validate_key(prefix.rstrip("/"))
    return prefix


def master_key(title_id: int, upload_id: str, ext: str) -> str:
    return validate_key(f"masters/{title_id}/{upload_id}{ext.lower()}")


def work_prefix(job_id: int) -> str:
    return f"work/{job_id}"


def subtitles_prefix(title_id: int) -> str:
    return f"subtitles/{title_id}"


def title_settings_key(title_id: int) -> str:
    return f"settings/{title_id}.json"
