"""Language tags as manifests and menus show them.

Sources tag audio with ISO 639-2 codes (`eng`, `fre` or `fra`); HLS `LANGUAGE` and DASH `lang`
want BCP 47, which uses the two-letter code where one exists (`en`, `fr`). A menu wants a name.
"""

from __future__ import annotations

import re

UNDETERMINED = "und"
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")  # a BCP 47 tag, lower-case primary

# ISO 639-2 (both the bibliographic and the terminology code) -> ISO 639-1, for the common ones.
_TWO_LETTER = {
    "ara": "ar", "chi": "zh", "zho": "zh", "cze": "cs", "ces": "cs", "dan": "da", "dut": "nl",
    "nld": "nl", "eng": "en", "fin": "fi", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de",
    "gre": "el", "ell": "el", "heb": "he", "hin": "hi", "hun": "hu", "ita": "it", "jpn": "ja",
    "kor": "ko", "nor": "no", "pol": "pl", "por": "pt", "rum": "ro", "ron": "ro", "rus": "ru",
    "spa": "es", "swe": "sv", "tha": "th", "tur": "tr", "ukr": "uk", "vie": "vi",
}  # fmt: skip
# The other way, for MP4 track headers: where a pair exists the terminology code comes second
# above (fre, fra), so it is the one kept.
_THREE_LETTER = {two: three for three, two in _TWO_LETTER.items()}
NAMES = {
    "ar": "العربية", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "fi": "Suomi", "fr": "Français", "he": "עברית",
    "hi": "हिन्दी", "hu": "Magyar", "it": "Italiano", "ja": "日本語", "ko": "한국어",
    "nl": "Nederlands", "no": "Norsk", "pl": "Polski", "pt": "Português", "ro": "Română",
    "ru": "Русский", "sv": "Svenska", "th": "ไทย", "tr": "Türkçe", "uk": "Українська",
    "vi": "Tiếng Việt", "zh": "中文", UNDETERMINED: "Original",
}  # fmt: skip


def bcp47(code: str | None) -> str:
    """A source's language tag as BCP 47: `fre` -> `fr`; missing or unreadable -> `und`."""
    tag = (code or "").strip().replace("_", "-")
    primary, _, rest = tag.partition("-")
    primary = _TWO_LETTER.get(primary.lower(), primary.lower())
    tag = f"{primary}-{rest}" if rest else primary
    return tag if LANGUAGE.match(tag) else UNDETERMINED


def language_name(tag: str) -> str:
    """What a menu shows for `tag`: the language's own name, else the tag itself."""
    return NAMES.get(tag.split("-", 1)[0], tag)


def iso639_2(tag: str) -> str:
    """The three-letter code an MP4 track header holds for a BCP 47 tag (`fr` -> `fra`)."""
    primary = tag.split("-", 1)[0]
    return _THREE_LETTER.get(primary, primary if len(primary) == 3 else UNDETERMINED)
