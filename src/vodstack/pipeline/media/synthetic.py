"""Synthetic source media from ffmpeg's generators: demo titles and test clips.

Each pattern has a different visual complexity, so the demo catalog exercises the ladder the
way real titles do: test cards compress to almost nothing, a Mandelbrot zoom and cellular
automata sit in the middle, film-grain noise is the hardest case. Every clip gets a beeping
tone (one beep a second makes A/V sync visible), a running clock and, when the bundled ffmpeg's
drawtext has a usable font, its title burned in; without one the clip is made untitled.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/Library/Fonts/Arial.ttf"),
)


class Pattern(StrEnum):
    """ffmpeg generator recipes, roughly from easiest to hardest to compress."""

    TESTSRC2 = "testsrc2"
    CELLAUTO = "cellauto"
    LIFE = "life"
    MOVING_TEXT = "moving_text"
    MANDELBROT = "mandelbrot"
    GRAIN = "grain"


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """One demo title's media."""

    slug: str
    title: str
    pattern: Pattern
    duration_s: float
    tone_hz: int = 440


DEMO_SPECS: tuple[DemoSpec, ...] = (
    DemoSpec("test-card", "Test Card", Pattern.TESTSRC2, 30, 440),
    DemoSpec("rule-110", "Rule 110", Pattern.CELLAUTO, 45, 523),
    DemoSpec("game-of-life", "The Game of Life", Pattern.LIFE, 60, 587),
    DemoSpec("credits-roll", "Credits Roll", Pattern.MOVING_TEXT, 40, 659),
    DemoSpec("deep-zoom", "Deep Zoom", Pattern.MANDELBROT, 45, 698),
    DemoSpec("film-grain", "Film Grain", Pattern.GRAIN, 30, 784),
)


def video_source(pattern: Pattern, width: int, height: int, fps: int) -> str:
    """The lavfi graph producing `pattern` at width x height, fps."""
    size = f"s={width}x{height}:r={fps}"
    quarter = f"s={max(2, width // 4)}x{max(2, height // 4)}:r={fps}"
    half = f"s={max(2, width // 2)}x{max(2, height // 2)}:r={fps}"
    full = f"scale={width}:{height}"
    recipes = {
        Pattern.TESTSRC2: f"testsrc2={size}",
        Pattern.CELLAUTO: f"cellauto={size}:rule=110:scroll=1",
        Pattern.LIFE: (
            f"life={quarter}:mold=10:ratio=0.1:death_color=#202060:life_color=#40ff80,"
            f"{full}:flags=neighbor"
        ),
        Pattern.MOVING_TEXT: f"gradients={size}:speed=0.01:c0=#101040:c1=#402010",
        # 256 iterations instead of the generator's 7189: the same picture at a zoom this
        # short, for a fraction of the CPU.
        Pattern.MANDELBROT: f"mandelbrot={half}:maxiter=256,{full}:flags=bicubic",
        # Grain drawn at half size and scaled up: still the hardest pattern to compress, but a
        # 30 s 720p master took 59 s of CPU and 426 MB at full-size grain (measured).
        Pattern.GRAIN: f"gradients={half}:speed=0.02,noise=alls=10:allf=t,{full}:flags=bicubic",
    }
    return recipes[pattern]


def find_font() -> Path | None:
    """A TrueType font for drawtext, if this machine has one we know."""
    return next((p for p in _FONT_CANDIDATES if p.is_file()), None)


def make_synthetic(
    out_path: Path,
    pattern: Pattern,
    *,
    duration_s: float,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    title: str | None = None,
    tone_hz: int = 440,
    crf: int = 20,
    preset: str = "veryfast",
    gop_s: float | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> Path:
    """Write an H.264/AAC MP4 master of `pattern` with a tone, a clock and `title` burned in.

    Keyframes every `gop_s` seconds (None: x264's default, 250 frames at most, 10 s at 25 fps).
    """
    font = find_font()
    with tempfile.TemporaryDirectory(prefix="synthetic-") as scratch:
        overlays = _overlays(Path(scratch), pattern, title, font, height)
        args = _command(out_path, pattern, duration_s, width, height, fps, tone_hz, crf, preset)
        if gop_s is not None:
            gop = str(max(1, round(gop_s * fps)))
            args[args.index("-crf") : args.index("-crf")] = ["-g", gop, "-keyint_min", gop]
        graph = ",".join([video_source(pattern, width, height, fps), *overlays])
        args[args.index("__GRAPH__")] = graph
        try:
            control.run(args)
        except EncodeFailed:
            if not overlays:
                raise
            # No usable font after all: an untitled clip is still a good demo clip.
            args[args.index(graph)] = video_source(pattern, width, height, fps)
            control.run(args)
    return out_path


def _command(
    out_path: Path,
    pattern: Pattern,
    duration_s: float,
    width: int,
    height: int,
    fps: int,
    tone_hz: int,
    crf: int,
    preset: str,
) -> list[str]:
    return [
        "-f",
        "lavfi",
        "-i",
        "__GRAPH__",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={tone_hz}:beep_factor=4:sample_rate=48000",
        "-t",
        f"{duration_s:.3f}",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "160k",
        "-ac",
        "2",
        "-af",
        "volume=0.3",
        "-movflags",
        "+faststart",
        "-metadata",
        f"comment=vodstack synthetic {pattern.value}",
        str(out_path),
    ]


def _overlays(
    scratch: Path, pattern: Pattern, title: str | None, font: Path | None, height: int
) -> list[str]:
    """drawtext filters: the title, a running clock, scrolling credits for MOVING_TEXT.

    Text goes through `textfile=` so no title needs filtergraph escaping; the clock's
    `%{pts:hms}` is quoted for the graph parser and escaped once more for the option parser.
    """
    if font is None:
        return []
    face = f"fontfile={font}:fontcolor=white"
    box = f"box=1:boxcolor=black@0.55:boxborderw={max(1, height // 80)}"
    filters = []
    if pattern is Pattern.MOVING_TEXT:
        credits = scratch / "credits.txt"
        credits.write_text("\n".join(_CREDITS), encoding="utf-8")
        filters.append(
            f"drawtext={face}:textfile={credits}:fontsize={max(8, height // 18)}"
            f":line_spacing={height // 30}:x=(w-tw)/2:y=h-t*h/10"
        )
    if title:
        title_file = scratch / "title.txt"
        title_file.write_text(title, encoding="utf-8")
        filters.append(
            f"drawtext={face}:textfile={title_file}:fontsize={max(8, height // 12)}:{box}"
            ":x=(w-tw)/2:y=h/14"
        )
    filters.append(
        f"drawtext={face}:text='%{{pts\\:hms}}':fontsize={max(8, height // 20)}:{box}"
        ":x=w-tw-w/40:y=h-th-h/20"
    )
    return filters


_CREDITS = (
    "VODSTACK PICTURES",
    "presents",
    "",
    "a synthetic production",
    "",
    "Encoder ......... libx264",
    "Packager ........ CMAF",
    "Manifests ....... HLS + DASH",
    "Segments ........ 4 seconds",
    "Quality ......... VMAF",
    "",
    "No pixels were harmed",
    "in the making of this title.",
)


# Demo masters are made while the pipeline encodes the previous ones, on the same cores: x264's
# fastest preset at a CRF well above the ladder's bitrates costs half the CPU of `veryfast` at
# CRF 20 (docs/decisions.md, "A demo playable in minutes").
DEMO_MASTER_CRF = 26
DEMO_MASTER_PRESET = "ultrafast"


def make_demo_sources(
    out_dir: Path,
    specs: Sequence[DemoSpec] = DEMO_SPECS,
    *,
    width: int = 1280,
    height: int = 720,
    crf: int = DEMO_MASTER_CRF,
    preset: str = DEMO_MASTER_PRESET,
    control: RunControl = DEFAULT_CONTROL,
    on_done: Callable[[DemoSpec, Path], None] | None = None,
) -> dict[str, Path]:
    """Make every demo title's master as `out_dir/{slug}.mp4` (existing files are kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for spec in specs:
        path = out_dir / f"{spec.slug}.mp4"
        if not path.is_file():
            partial = path.with_suffix(".part.mp4")
            make_synthetic(
                partial,
                spec.pattern,
                duration_s=spec.duration_s,
                width=width,
                height=height,
                title=spec.title,
                tone_hz=spec.tone_hz,
                crf=crf,
                preset=preset,
                control=control,
            )
            partial.replace(path)
        made[spec.slug] = path
        if on_done is not None:
            on_done(spec, path)
    return made


# A test clip is seconds of work; five minutes means ffmpeg hung.
PATTERN_CONTROL = RunControl(timeout_s=300)


def pattern_clip(
    path: Path,
    seconds: int,
    *,
    size: str = "640x360",
    fps: int = 15,
    control: RunControl = PATTERN_CONTROL,
) -> Path:
    """A plain testsrc2 clip with a 440 Hz tone, fast to make: source media for tests and
    benchmarks (no burned-in title or clock, unlike the demo sources)."""
    args = [
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(path),
    ]  # fmt: skip
    control.run(args)
    return path
