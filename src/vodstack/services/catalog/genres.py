"""Genre slugs: the stable, URL-safe key a genre is browsed by ("Sci-Fi" -> "sci-fi")."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def _strip_latin_accents(text: str) -> str:
    # Only marks on ASCII letters go ("Café" -> "cafe"); in other scripts a mark changes the
    # letter itself (ド is not ト), so those are kept.
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and kept and kept[-1].isascii():
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def genre_slug(name: str) -> str:
    """Lower-case words joined by dashes; letters of any script survive."""
    return _NOT_WORD.sub("-", _strip_latin_accents(name).casefold()).strip("-")
