"""The poster is a representative frame: a black frame at the chosen moment is stepped over,
and so is a black stretch longer than the window the frame is chosen from."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vodstack.pipeline.media import make_poster
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL
from vodstack.pipeline.media.normalize import Normalization
from vodstack.pipeline.media.poster import detail


def _cut_to_black(path: Path) -> Path:
    """2 s of testsrc2, 0.4 s of black (where a third-in poster would land), 4 s of testsrc2."""
    graph = (
        "testsrc2=s=320x240:r=25:d=2[a];color=c=black:s=320x240:r=25:d=0.4[b];"
        "testsrc2=s=320x240:r=25:d=4[c];[a][b][c]concat=n=3:v=1:a=0[v]"
    )
    args = ["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.1", "-filter_complex", graph]
    args += ["-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    DEFAULT_CONTROL.run([*args, str(path)])
    return path


def test_poster_steps_over_a_black_frame(tmp_path: Path) -> None:
    source = _cut_to_black(tmp_path / "cut.mp4")
    norm = Normalization(Fraction(25), False, False, 320, 240)

    poster = make_poster(source, norm, 6.4, tmp_path / "poster.jpg", at_s=2.05)

    with av.open(str(poster)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="gray")
    assert frame.shape == (240, 320)
    assert float(np.mean(frame)) > 40  # a picture, not the black the seek landed on


def _black_middle(path: Path) -> Path:
    """4 s of testsrc2, 6 s of black (longer than a poster window), 4 s of testsrc2."""
    graph = (
        "testsrc2=s=320x240:r=25:d=4[a];color=c=black:s=320x240:r=25:d=6[b];"
        "testsrc2=s=320x240:r=25:d=4[c];[a][b][c]concat=n=3:v=1:a=0[v]"
    )
    args = ["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.1", "-filter_complex", graph]
    args += ["-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    DEFAULT_CONTROL.run([*args, str(path)])
    return path


def test_poster_is_the_most_detailed_candidate_not_a_black_stretch(tmp_path: Path) -> None:
    source = _black_middle(tmp_path / "black-middle.mp4")
    norm = Normalization(Fraction(25), False, False, 320, 240)
    # A window a third in (4.7 s) sees only black: the frame it alone would give.
    third = make_poster(source, norm, 14.0, tmp_path / "third.jpg", at_s=14.0 / 3)

    poster = make_poster(source, norm, 14.0, tmp_path / "poster.jpg")

    assert detail(third) < 2
    assert detail(poster) > 30
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "black-middle.mp4", "poster.jpg", "third.jpg"
    ], "the other candidates are removed"  # fmt: skip
