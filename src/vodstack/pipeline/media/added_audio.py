"""An audio language added to a title after it was published (issue 20, point 3).

A dub often arrives months after the premiere. The new file is checked before anything is
queued, so a wrong file never costs an encode: its language tag is one the players can name,
it decodes (its first seconds of audio, not only a header), and it lasts as long as the video
within `DURATION_TOLERANCE` (a track of another cut drifts out of sync). It is then joined to
the title's master like `ingest --audio` does (audio_mux: stream copy, seconds) and the result
is a new master, whose job publishes a new asset version with the language in the HLS audio
group and the DASH adaptation sets. The old version plays until then.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error

from vodstack.delivery.languages import LANGUAGE, UNDETERMINED, iso639_2
from vodstack.pipeline.media.audio_mux import ExtraAudio, mux_extra_audio
from vodstack.pipeline.media.errors import InvalidMedia, InvalidReason
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl

# How far the track's duration may be from the video's: 2 % or 2 s, whichever is larger.
DURATION_TOLERANCE = 0.02
DURATION_TOLERANCE_S = 2.0
_DECODE_CHECK_S = 5.0  # the audio decoded to prove the file is not only a valid header


def check_language(tag: str) -> str:
    """`tag` if players can name it (a BCP 47 tag with a known language), else ValueError."""
    if not LANGUAGE.match(tag) or iso639_2(tag) == UNDETERMINED:
        raise ValueError(f"{tag!r} is not a known language tag such as en, fr or pt-BR")
    return tag


def media_duration(path: Path) -> float:
    """The file's duration in seconds (its container's, else its longest stream's)."""
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return float(container.duration / av.time_base)
            return max(
                float(s.duration * s.time_base)
                for s in container.streams
                if s.duration is not None and s.time_base is not None
            )
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InvalidMedia(InvalidReason.NOT_MEDIA, f"{path.name} is not readable ({exc})") from exc


def check_audio(path: Path, video_s: float) -> float:
    """The audio file's duration once it is shown to decode and to match `video_s`."""
    _decode_start(path)
    duration = media_duration(path)
    allowed = max(DURATION_TOLERANCE_S, DURATION_TOLERANCE * video_s)
    if abs(duration - video_s) > allowed:
        raise InvalidMedia(
            InvalidReason.TRUNCATED,
            f"{path.name} lasts {duration:.1f} s but the video {video_s:.1f} s (allowed: "
            f"±{allowed:.1f} s); is it the audio of another cut?",
        )
    return duration


def _decode_start(path: Path) -> None:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InvalidMedia(InvalidReason.NOT_MEDIA, f"{path.name} has no audio stream")
            stream = container.streams.audio[0]
            decoded = 0.0
            for frame in container.decode(stream):
                decoded += frame.samples / max(frame.sample_rate, 1)
                if decoded >= _DECODE_CHECK_S:
                    return
            if decoded == 0.0:
                raise InvalidMedia(InvalidReason.UNDECODABLE, f"{path.name}: no audio decodes")
    except av.error.FFmpegError as exc:
        raise InvalidMedia(
            InvalidReason.UNDECODABLE, f"{path.name}: the audio does not decode ({exc})"
        ) from exc


def master_with_language(
    master: Path,
    audio: Path,
    language: str,
    out: Path,
    *,
    name: str = "",
    control: RunControl = DEFAULT_CONTROL,
) -> Path:
    """The checked `audio` joined to `master` as `language`: the title's next master."""
    check_language(language)
    check_audio(audio, media_duration(master))
    return mux_extra_audio(master, [ExtraAudio(language, audio, name)], out, control=control)
