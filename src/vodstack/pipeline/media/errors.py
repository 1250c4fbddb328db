"""The media layer's one exception tree.

    MediaError
    ├── InvalidMedia        the uploaded source is unusable (the uploader's fault; message says why)
    ├── EncodeFailed        ffmpeg failed on a valid source (our fault; carries the stderr tail)
    │   └── EncodeTimeout   ffmpeg ran past its deadline and was killed
    ├── EncodeCancelled     the owner asked to stop; the process was killed
    ├── InvalidAsset        the packaged output failed validation (our fault; never publish it)
    └── InvalidSubtitles    an uploaded subtitle file is unusable (problems name their lines)

Lower-level errors (PyAV's, OSError from the subprocess) are translated once, where they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class MediaError(Exception):
    """Base of every error raised by `vodstack.pipeline.media`."""


class InvalidReason(StrEnum):
    """Why a source was rejected; stable machine codes for the API and the job record."""

    EMPTY = "empty"
    NOT_MEDIA = "not_media"
    NO_VIDEO = "no_video"
    UNDECODABLE = "undecodable"
    TRUNCATED = "truncated"
    ZERO_DURATION = "zero_duration"
    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"
    CORRUPT = "corrupt"


class InvalidMedia(MediaError):
    """The source cannot be processed; `str(exc)` is a message a person can act on."""

    def __init__(self, reason: InvalidReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def timestamp(seconds: float) -> str:
    """A time position as people read it in a player: 00:01:02.3."""
    tenths = max(0, round(seconds * 10))
    minutes, tenth_s = divmod(tenths, 600)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{tenth_s // 10:02d}.{tenth_s % 10}"


def corrupt_media(kind: str, at_s: float) -> InvalidMedia:
    """The uploader's error for damaged data found while decoding, naming where it is."""
    return InvalidMedia(
        InvalidReason.CORRUPT,
        f"corrupt {kind} data near {timestamp(at_s)}; the file is damaged, "
        "export or copy it again and re-upload",
    )


class EncodeFailed(MediaError):
    """An ffmpeg run failed; `stderr_tail` holds the last lines it printed."""

    def __init__(
        self,
        message: str,
        *,
        args: Sequence[str] = (),
        returncode: int | None = None,
        stderr_tail: str = "",
    ) -> None:
        detail = f"{message}\n{stderr_tail}" if stderr_tail else message
        super().__init__(detail)
        self.message = message
        self.command = tuple(args)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class EncodeTimeout(EncodeFailed):
    """ffmpeg exceeded its timeout and was terminated."""


class EncodeCancelled(MediaError):
    """The owner's cancel token was set; the ffmpeg process was terminated."""


class InvalidAsset(MediaError):
    """A packaged asset version is incomplete or inconsistent; `problems` lists every finding."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("asset failed validation: " + "; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class SubtitleProblem:
    """One finding in a subtitle file: its 1-based line (0: the whole file) and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class InvalidSubtitles(MediaError):
    """An uploaded subtitle file cannot be used; `problems` name their lines."""

    def __init__(self, problems: Sequence[SubtitleProblem], *, too_large: bool = False) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)
        self.too_large = too_large
