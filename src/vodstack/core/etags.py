"""Conditional GETs: whether a client's If-None-Match still names what we would send."""

from __future__ import annotations


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """Whether an If-None-Match header names `current` (weak forms and `*` included)."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or current in candidates
