"""The admin's title form: flat text fields to and from the catalog's structured title.

Genres and cast are comma-separated; episodes are one per line as `season.episode | name` with
an optional `| minutes`, e.g. `1.2 | The Return | 42`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from vodstack.contracts.catalog import Title, TitleCreate, TitleUpdate
from vodstack.core.errors import Invalid
from vodstack.gateway.web.forms import parse_form

_EPISODE_LINE = re.compile(r"(\d{1,2})\.(\d{1,3})\s*\|\s*([^|]+?)\s*(?:\|\s*(\d{1,4})\s*)?")

FRIENDLY = {
    "name": "Give the title a name of up to 200 characters.",
    "kind": "Choose movie or series.",
    "year": "The year must be a number from 1870 to 2100.",
    "maturity": "Choose a maturity level.",
    "genres": "Give 1 to 10 genres separated by commas, each up to 40 characters.",
    "synopsis": "The synopsis can be up to 4000 characters.",
    "cast": "List at most 50 cast members separated by commas, each up to 80 characters.",
    "duration_s": "The duration must be 0 to 1440 minutes.",
    "seasons": "Check the episodes: at most 50 seasons of 200 episodes, names up to 200 long.",
}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _minutes(text: str, what: str) -> int:
    text = text.strip() or "0"
    if not text.isdigit() or len(text) > 5:
        raise Invalid(f"{what} must be a whole number of minutes.")
    return int(text) * 60


def _episode_lines(title: Title) -> str:
    lines = []
    for season in title.seasons:
        for ep in season.episodes:
            minutes = f" | {ep.duration_s // 60}" if ep.duration_s else ""
            lines.append(f"{season.number}.{ep.number} | {ep.name}{minutes}")
    return "\n".join(lines)


def _synopses(existing: Title | None) -> dict[tuple[int, int], str]:
    if existing is None:
        return {}
    return {(s.number, e.number): e.synopsis for s in existing.seasons for e in s.episodes}


@dataclass
class TitleDraft:
    """The form's fields as typed (strings), so a rejected form comes back as it was."""

    name: str = ""
    kind: str = "movie"
    year: str = ""
    maturity: str = "adult"
    genres: str = ""
    synopsis: str = ""
    cast: str = ""
    duration_min: str = "0"
    episodes: str = ""

    @classmethod
    def of(cls, title: Title) -> TitleDraft:
        return cls(
            name=title.name,
            kind=title.kind.value,
            year=str(title.year),
            maturity=title.maturity.value,
            genres=", ".join(title.genres),
            synopsis=title.synopsis,
            cast=", ".join(title.cast),
            duration_min=str(title.duration_s // 60),
            episodes=_episode_lines(title),
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def _seasons(self, existing: Title | None) -> list[dict[str, Any]]:
        # Episode synopses are not on the form; keep the ones already stored.
        synopses = _synopses(existing)
        seasons: dict[int, list[dict[str, Any]]] = {}
        for n, raw in enumerate(self.episodes.splitlines(), start=1):
            if not raw.strip():
                continue
            match = _EPISODE_LINE.fullmatch(raw.strip())
            if match is None:
                raise Invalid(
                    f"Episode line {n} should look like '1.2 | Name | 42' (minutes optional)."
                )
            season, number = int(match[1]), int(match[2])
            seasons.setdefault(season, []).append(
                {
                    "number": number,
                    "name": match[3],
                    "duration_s": int(match[4] or 0) * 60,
                    "synopsis": synopses.get((season, number), ""),
                }
            )
        return [{"number": k, "episodes": seasons[k]} for k in sorted(seasons)]

    def fields(self, existing: Title | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "year": self.year,
            "maturity": self.maturity,
            "genres": _split(self.genres),
            "synopsis": self.synopsis,
            "cast": _split(self.cast),
            "duration_s": _minutes(self.duration_min, "The duration"),
            "seasons": self._seasons(existing),
        }

    def to_create(self) -> TitleCreate:
        return parse_form(TitleCreate, FRIENDLY, **self.fields())

    def to_update(self, existing: Title) -> TitleUpdate:
        return parse_form(TitleUpdate, FRIENDLY, **self.fields(existing))
