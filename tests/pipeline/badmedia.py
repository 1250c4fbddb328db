"""The bad-media corpus, synthesized at test time: each file is a way a master goes wrong.

Shared by the media, jobs, service and CLI tests so every entry point sees the same files.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from vodstack.pipeline.media import Pattern, ffmpeg_exe, make_synthetic

ZEROED_BYTES = 4096


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", *args], check=True, timeout=60)


def good_clip(path: Path, seconds: float = 4, gop_s: float | None = 1.0) -> Path:
    """A short, valid master; keyframes every second so damage past the start stays local."""
    return make_synthetic(
        path, Pattern.TESTSRC2, duration_s=seconds, width=320, height=240, gop_s=gop_s
    )


def zero_middle(source: Path, dest: Path) -> Path:
    """`source` with 4 KB in the middle of its media data (`mdat`) overwritten with zeros."""
    data = bytearray(source.read_bytes())
    at = data.find(b"mdat")
    assert at >= 4, "an MP4 with an mdat box"
    size = struct.unpack(">I", data[at - 4 : at])[0]
    middle = at + size // 2
    data[middle : middle + ZEROED_BYTES] = bytes(ZEROED_BYTES)
    dest.write_bytes(bytes(data))
    return dest


def bad_corpus(root: Path) -> dict[str, Path]:
    """name -> file; `good` is the master the damaged ones were made from."""
    good = good_clip(root / "good.mp4")
    (root / "notes.mp4").write_text("hello, I am a text file\n" * 20)
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (root / "empty.mp4").write_bytes(b"")
    zero_middle(good, root / "zeroed.mp4")
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(root / "song.mp4"))
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=2x2:d=2", "-c:v", "libx264", "-preset", "ultrafast",
        str(root / "tiny.mp4"),
    )  # fmt: skip
    # A valid master under a misleading name: the content decides, not the extension.
    (root / "wrong_extension.txt").write_bytes(data)
    return {p.stem: p for p in root.iterdir()}
