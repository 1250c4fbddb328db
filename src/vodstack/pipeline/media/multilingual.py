"""A synthetic master with several audio streams: one tone per language, so a test can tell
from the decoded samples which stream a rendition came from.

    multilingual_clip(path, 4, [Voice("eng", 440), Voice("fra", 880, channels=6)])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.ffmpeg import RunControl
from vodstack.pipeline.media.synthetic import PATTERN_CONTROL


@dataclass(frozen=True, slots=True)
class Voice:
    language: str  # ISO 639-2, as sources tag it
    tone_hz: int
    channels: int = 2
    title: str = ""


def multilingual_clip(
    path: Path,
    seconds: int,
    voices: Sequence[Voice],
    *,
    size: str = "320x240",
    fps: int = 15,
    control: RunControl = PATTERN_CONTROL,
) -> Path:
    """testsrc2 with one AAC stream per voice, tagged with its language (and title)."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]
    for voice in voices:
        tone = f"sine=frequency={voice.tone_hz}:sample_rate=48000:duration={seconds}"
        args += ["-f", "lavfi", "-i", tone]
    args += ["-map", "0:v"]
    for number, voice in enumerate(voices):
        args += ["-map", f"{number + 1}:a", f"-ac:a:{number}", str(voice.channels)]
        args += [f"-metadata:s:a:{number}", f"language={voice.language}"]
        if voice.title:
            args += [f"-metadata:s:a:{number}", f"title={voice.title}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-shortest", str(path)]
    control.run(args)
    return path
