"""Generated posters: a deterministic 2:3 SVG from a title's name and its first genre.

The same name and genre always give the same bytes (so the ETag is stable and caches work): the
genre picks the palette, a hash of the name picks the geometric motif and its placement.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 400
HEIGHT = 600
MAX_LINES = 4
CACHE_CONTROL = "public, max-age=604800, stale-while-revalidate=86400"

# Characters XML 1.0 forbids even when escaped; a title name could carry one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Palette:
    top: str
    bottom: str
    accent: str


PALETTES: dict[str, Palette] = {
    "sci-fi": Palette("#0b1d3a", "#1f6f8b", "#7ee8fa"),
    "drama": Palette("#3b0d11", "#8c2f39", "#f4a259"),
    "comedy": Palette("#f7b32b", "#f25f5c", "#fff3b0"),
    "documentary": Palette("#1b3a2f", "#4f772d", "#dad7cd"),
    "animation": Palette("#5f0f40", "#0f4c5c", "#fb8b24"),
    "thriller": Palette("#0d0d0d", "#3a3a3a", "#e63946"),
    "family": Palette("#264653", "#2a9d8f", "#e9c46a"),
    "fantasy": Palette("#240046", "#7b2cbf", "#e0aaff"),
    "horror": Palette("#120309", "#4a0e0e", "#c1121f"),
    "romance": Palette("#590d22", "#c9184a", "#ffccd5"),
    "adventure": Palette("#023047", "#219ebc", "#ffb703"),
    "crime": Palette("#1d1e2c", "#59656f", "#f2cc8f"),
}


def artwork_path(title_id: int) -> str:
    """Where viewers fetch a title's artwork: the gateway's path, which serves the uploaded
    image, else the frame the pipeline picked from the video, else the generated poster."""
    return f"/artwork/{title_id}/image"


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)


def palette_for(genre_slug: str) -> Palette:
    """The genre's palette; genres without one get colours derived from the slug's hash."""
    known = PALETTES.get(genre_slug)
    if known is not None:
        return known
    hue = int(hashlib.sha256(genre_slug.encode()).hexdigest()[:4], 16) / 0xFFFF
    return Palette(
        top=_hex(colorsys.hls_to_rgb(hue, 0.18, 0.55)),
        bottom=_hex(colorsys.hls_to_rgb((hue + 0.08) % 1.0, 0.38, 0.6)),
        accent=_hex(colorsys.hls_to_rgb((hue + 0.5) % 1.0, 0.7, 0.8)),
    )


class _Dice:
    """Deterministic numbers drawn from a hash of the title's name."""

    def __init__(self, seed: str) -> None:
        self._bytes = hashlib.sha256(seed.encode("utf-8", "replace")).digest()
        self._next = 0

    def pick(self, low: int, high: int) -> int:
        value = self._bytes[self._next % len(self._bytes)]
        self._next += 1
        return low + value * (high - low) // 255


def _circles(dice: _Dice, accent: str) -> list[str]:
    return [
        f'<circle cx="{dice.pick(0, WIDTH)}" cy="{dice.pick(40, 360)}" r="{dice.pick(30, 150)}" '
        f'fill="{accent}" fill-opacity="0.{dice.pick(12, 35):02d}"/>'
        for _ in range(dice.pick(3, 6))
    ]


def _rings(dice: _Dice, accent: str) -> list[str]:
    cx, cy = dice.pick(80, 320), dice.pick(120, 300)
    return [
        f'<circle cx="{cx}" cy="{cy}" r="{24 + step * dice.pick(18, 34)}" fill="none" '
        f'stroke="{accent}" stroke-width="{dice.pick(2, 9)}" stroke-opacity="0.45"/>'
        for step in range(dice.pick(4, 7))
    ]


def _stripes(dice: _Dice, accent: str) -> list[str]:
    angle = dice.pick(-40, 40)
    return [
        f'<rect x="-200" y="{y}" width="800" height="{dice.pick(6, 28)}" fill="{accent}" '
        f'fill-opacity="0.25" transform="rotate({angle} 200 220)"/>'
        for y in range(dice.pick(0, 30), 440, dice.pick(40, 70))
    ]


def _triangles(dice: _Dice, accent: str) -> list[str]:
    shapes = []
    for _ in range(dice.pick(3, 6)):
        x, y, size = dice.pick(0, WIDTH), dice.pick(40, 380), dice.pick(50, 170)
        points = f"{x},{y - size} {x - size},{y + size // 2} {x + size},{y + size // 2}"
        shapes.append(f'<polygon points="{points}" fill="{accent}" fill-opacity="0.22"/>')
    return shapes


_MOTIFS: tuple[Callable[[_Dice, str], list[str]], ...] = (_circles, _rings, _stripes, _triangles)


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)


def _title_lines(name: str) -> list[str]:
    width = 12 if len(name) <= 36 else 18
    lines = textwrap.wrap(name, width=width, break_long_words=True) or [name]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: width - 1] + "\u2026"]
    return lines


def _title_text(name: str) -> str:
    lines = _title_lines(name)
    longest = max(len(line) for line in lines)
    size = max(22, min(54, int(WIDTH * 1.6 / max(longest, 1))))
    top = HEIGHT - 70 - size * 1.15 * (len(lines) - 1)
    spans = "".join(
        f'<tspan x="{WIDTH // 2}" y="{top + index * size * 1.15:.0f}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )
    return (
        f'<text font-family="Helvetica, Arial, sans-serif" font-weight="700" font-size="{size}" '
        f'fill="#ffffff" text-anchor="middle">{spans}</text>'
    )


def _texts(name: str, label: str, palette: Palette) -> list[str]:
    return [
        f'<rect y="{HEIGHT - 260}" width="{WIDTH}" height="260" fill="#000" fill-opacity="0.35"/>',
        f'<text x="24" y="40" font-family="Helvetica, Arial, sans-serif" font-size="16" '
        f'letter-spacing="3" fill="{palette.accent}">{label}</text>',
        _title_text(name),
    ]


def poster_svg(name: str, genre_name: str, genre_slug: str, *, with_text: bool = True) -> str:
    """The poster of a title called `name` whose first genre is `genre_name`; without text,
    only the background (for pages that set the name over it themselves)."""
    name, genre_name = _clean(name), _clean(genre_name)
    palette = palette_for(genre_slug)
    dice = _Dice(name)
    motif = _MOTIFS[dice.pick(0, len(_MOTIFS) - 1)](dice, palette.accent)
    label = escape(genre_name.upper())
    # A per-poster gradient id: posters inlined side by side in one HTML page share an id
    # namespace, and a shared "bg" would paint every poster with the first one's colours.
    gradient = (
        "bg-" + hashlib.sha256(f"{genre_slug}|{name}".encode("utf-8", "replace")).hexdigest()[:10]
    )
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(name)}>',
            f'<defs><linearGradient id="{gradient}" x1="0" y1="0" x2="0" y2="1">',
            f'<stop offset="0" stop-color="{palette.top}"/>',
            f'<stop offset="1" stop-color="{palette.bottom}"/>',
            "</linearGradient></defs>",
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#{gradient})"/>',
            *motif,
            *(_texts(name, label, palette) if with_text else []),
            "</svg>",
        ]
    )


def etag(svg: str) -> str:
    return '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
