"""The poster: the one frame that stands for a title on its tiles and billboard.

Each candidate is the most representative frame of a short window (ffmpeg's `thumbnail` filter:
the frame nearest the window's average histogram, so never a lone black frame or a blurred
cut); the windows start at a few points spread over the middle of the video, and the poster is
the candidate with the most detail, by the spread (standard deviation) of its luma. A fade to
black, a blank title card or a flat sky has almost none, so a whole black window (longer than
the filter can step over) loses to any picture. Pages set the title's name in type over it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageStat

from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.normalize import Normalization

POSTER_NAME = "poster.jpg"
# Frames the `thumbnail` filter compares (about 4 s at 25 fps): enough to step over a cut or a
# fade, few enough to stay near the chosen moment.
POSTER_WINDOW_FRAMES = 100
# Where the candidate windows start, as shares of the running time: a third in first (it wins
# a tie), away from opening and closing credits.
CANDIDATES_AT = (1 / 3, 0.2, 0.5, 0.65)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def make_poster(
    source: Path,
    norm: Normalization,
    duration_s: float,
    out_path: Path,
    *,
    width: int = 1280,
    at_s: float | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> Path:
    """A JPEG poster, never wider than the source: the most detailed of the candidates (one
    window starting at `at_s` when given)."""
    starts = [at_s] if at_s is not None else [duration_s * share for share in CANDIDATES_AT]
    candidates = []
    for index, start in enumerate(starts):
        path = out_path.with_name(f"{out_path.stem}.candidate-{index}{out_path.suffix}")
        at = min(max(0.0, start), duration_s)
        if _frame(source, norm, at, width, path, control):
            candidates.append(path)
    if not candidates:
        raise EncodeFailed(f"no poster frame could be extracted at {starts[0]:.1f} s")
    best = max(candidates, key=detail)  # the first of equals: a third in
    best.replace(out_path)
    for path in candidates:
        path.unlink(missing_ok=True)
    return out_path


def detail(image: Path) -> float:
    """How much there is to see: the standard deviation of the image's luma (0-255)."""
    with Image.open(image) as opened:
        return float(ImageStat.Stat(opened.convert("L")).stddev[0])


def _frame(
    source: Path, norm: Normalization, at: float, width: int, out: Path, control: RunControl
) -> bool:
    """The window's representative frame as a JPEG at `out`; False if the window had none."""
    width = _even(min(width, norm.width))
    height = _even(width * norm.height / norm.width)
    deinterlace = ["bwdif=mode=send_frame:deint=all"] if norm.deinterlace else []
    filters = [*deinterlace, f"thumbnail=n={POSTER_WINDOW_FRAMES}", f"scale={width}:{height}"]
    args = ["-ss", f"{at:.3f}", "-i", str(source), "-map", "0:v:0", "-frames:v", "1"]
    args += ["-vf", ",".join([*filters, "setsar=1"]), "-q:v", "3", "-update", "1", "-f", "image2"]
    control.run([*args, str(out)])
    return out.is_file() and out.stat().st_size > 0
