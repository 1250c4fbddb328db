"""Extra audio files per language, joined to the master before it is uploaded.

A dubbed track often arrives as a file of its own. `vodstack ingest FILE --audio fr=fr.m4a`
copies each such file's first audio stream into a Matroska file beside the master's own streams
(`-c copy`: no quality lost, seconds even for a feature), tagged with its language, and uploads
that: the pipeline then makes every audio stream a rendition (`audio_tracks`), the extra ones
included. Matroska, because it holds any codec an audio file may carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import av.error

from vodstack.delivery.languages import LANGUAGE, iso639_2
from vodstack.pipeline.media.errors import InvalidMedia, InvalidReason
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl


@dataclass(frozen=True, slots=True)
class ExtraAudio:
    language: str  # BCP 47, as given (`fr`, `pt-BR`)
    path: Path
    title: str = ""


def parse_extra(text: str) -> ExtraAudio:
    """`fr=path/to/file.m4a` -> ExtraAudio; ValueError with a message a person can act on."""
    language, sep, path = text.partition("=")
    if not sep or not path:
        raise ValueError(f"{text!r}: expected LANG=FILE, e.g. fr=french.m4a")
    if not LANGUAGE.match(language):
        raise ValueError(f"{language!r} is not a language tag such as en, fr or pt-BR")
    return ExtraAudio(language, Path(path))


def mux_extra_audio(
    master: Path, extras: Sequence[ExtraAudio], out: Path, *, control: RunControl = DEFAULT_CONTROL
) -> Path:
    """The master with each extra file's first audio stream added after its own, tagged."""
    own = _audio_count(master)
    for extra in extras:
        if _audio_count(extra.path) == 0:
            raise InvalidMedia(InvalidReason.NOT_MEDIA, f"{extra.path.name} has no audio stream")
    args = ["-i", str(master)]
    for extra in extras:
        args += ["-i", str(extra.path)]
    args += ["-map", "0", "-map", "-0:d?", "-map", "-0:s?", "-map", "-0:t?"]
    for number, extra in enumerate(extras, start=1):
        args += ["-map", f"{number}:a:0"]
        stream = own + number - 1
        args += [f"-metadata:s:a:{stream}", f"language={iso639_2(extra.language)}"]
        if extra.title:
            args += [f"-metadata:s:a:{stream}", f"title={extra.title}"]
    control.run([*args, "-c", "copy", "-f", "matroska", str(out)])
    return out


def _audio_count(path: Path) -> int:
    try:
        with av.open(str(path)) as container:
            return len(container.streams.audio)
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidMedia(
            InvalidReason.NOT_MEDIA, f"{path.name} is not a readable media file ({exc})"
        ) from exc
