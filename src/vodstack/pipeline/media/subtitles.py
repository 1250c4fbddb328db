"""Subtitle files: SRT or WebVTT in, validated and sanitised, WebVTT out.

An uploaded file is the uploader's text, shown over the video in every viewer's browser, so it is
read strictly: its encoding must be known (UTF-8, or UTF-16 with a byte-order mark; anything
else is refused with the line of the first undecodable byte rather than guessed into mojibake),
every cue's timing must parse, end after it starts, start no earlier than the cue before (overlaps
are fine, a cue out of order is a broken file) and fall within the title. Cue text keeps only
WebVTT's own markup (`b i u c v lang ruby rt` and timestamps); every other tag is dropped, with
the contents of `script` and `style`, so no HTML reaches a player. SRT's `{\\an8}` style codes go
too. The output is one canonical WebVTT document.

    parse_subtitles(data, duration_s=...)  -> [Cue, ...]  or raises InvalidSubtitles
    to_webvtt(cues)                         -> "WEBVTT\\n\\n..."
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from vodstack.pipeline.media.errors import InvalidSubtitles, SubtitleProblem

MAX_SUBTITLE_BYTES = 2 * 1024 * 1024  # a feature film's subtitles are ~100 KiB
MAX_PROBLEMS = 10  # enough to fix a file in one go, short enough to read
END_TOLERANCE_S = 1.0  # a last cue may outlast the picture by a frame or a rounding

_TIME = r"(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
_SETTING = re.compile(
    r"^(vertical:(rl|lr)|line:-?\d+(\.\d+)?%?(,(start|center|end))?|"
    r"position:\d+(\.\d+)?%(,(line-left|center|line-right))?|size:\d+(\.\d+)?%|"
    r"align:(start|center|end|left|right)|region:[\w-]+)$"
)
_TAG = re.compile(r"<(?=[/A-Za-z0-9])[^<>]*>")  # "1 < 2" is text, not a tag
_ALLOWED_TAG = re.compile(r"^<(/?)(b|i|u|c|v|lang|ruby|rt)((?:\.[\w-]+)*)(?:\s+([^<>]*))?>$")
_TIMESTAMP_TAG = re.compile(rf"^<{_TIME}>$")
_DROP_CONTENT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ASS_CODE = re.compile(r"\{\\[^{}]*\}")
_ENTITY = re.compile(r"&(amp|lt|gt|lrm|rlm|nbsp|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # sanitised WebVTT cue text, one or more lines
    settings: str = ""  # WebVTT cue settings kept from the source (position, align, ...)
    line: int = 0  # the timing line's number in the uploaded file, for messages


def parse_subtitles(data: bytes, *, duration_s: float | None = None) -> list[Cue]:
    """The cues of an SRT or WebVTT file; `InvalidSubtitles` names every problem's line."""
    if len(data) > MAX_SUBTITLE_BYTES:
        raise InvalidSubtitles(
            [SubtitleProblem(0, f"the file is {len(data)} bytes; at most {MAX_SUBTITLE_BYTES}")],
            too_large=True,
        )
    lines = decode_text(data).splitlines()
    problems: list[SubtitleProblem] = []
    cues = _cues(lines, problems)
    if not cues and not problems:
        problems.append(SubtitleProblem(1, "no cue found (expected 'start --> end' lines)"))
    problems += _timing_problems(cues, duration_s)
    if problems:
        # In file order, so the message's first problem is the first one an editor reaches.
        problems.sort(key=lambda problem: problem.line)
        raise InvalidSubtitles(problems[:MAX_PROBLEMS])
    return cues


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not) or UTF-16 with a BOM; else the line of the first bad byte."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _encoding_error(data, exc.start, encoding) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc.start, "UTF-8") from exc


def _encoding_error(data: bytes, offset: int, encoding: str) -> InvalidSubtitles:
    line = data.count(b"\n", 0, offset) + 1
    message = (
        f"byte 0x{data[offset]:02x} is not valid {encoding} (a Latin-1 or Windows-1252 file?); "
        "save the file as UTF-8 and upload it again"
    )
    return InvalidSubtitles([SubtitleProblem(line, message)])


def _cues(lines: list[str], problems: list[SubtitleProblem]) -> list[Cue]:
    """Cue blocks: blank-line separated; a block's timing line is its first or second line."""
    cues: list[Cue] = []
    index = 1 if lines and lines[0].lstrip("\ufeff").startswith("WEBVTT") else 0
    if index:
        while index < len(lines) and lines[index].strip():
            index += 1  # the WebVTT header's own lines
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].strip():
            index += 1
        cue = _block(lines[start:index], start + 1, problems)
        if cue is not None:
            cues.append(cue)
    return cues


def _block(block: list[str], first_line: int, problems: list[SubtitleProblem]) -> Cue | None:
    if block[0].startswith(("NOTE", "STYLE", "REGION")):
        return None  # WebVTT comments and style sheets: not shown, not kept
    at = 0 if "-->" in block[0] else 1  # an SRT index or a WebVTT cue id comes first
    if at >= len(block) or "-->" not in block[at]:
        problems.append(SubtitleProblem(first_line, f"expected a timing line, got {block[0]!r}"))
        return None
    number = first_line + at
    match = _TIMING.match(block[at])
    if match is None:
        problems.append(
            SubtitleProblem(
                number,
                f"cannot read the timing {block[at].strip()!r} "
                "(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)",
            )
        )
        return None
    groups = match.groups()
    text = sanitise("\n".join(block[at + 1 :]))
    settings = " ".join(s for s in groups[8].split() if _SETTING.match(s))
    return Cue(_ms(groups[0:4]), _ms(groups[4:8]), text, settings, number)


def _ms(parts: tuple[str | None, ...]) -> int:
    hours, minutes, seconds, millis = (int(p or 0) for p in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _timing_problems(cues: list[Cue], duration_s: float | None) -> list[SubtitleProblem]:
    problems: list[SubtitleProblem] = []
    previous = 0
    limit_ms = None if not duration_s else round((duration_s + END_TOLERANCE_S) * 1000)
    for cue in cues:
        span = f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}"
        if cue.end_ms <= cue.start_ms:
            problems.append(SubtitleProblem(cue.line, f"{span}: the end is not after the start"))
        if cue.start_ms < previous:
            problems.append(
                SubtitleProblem(
                    cue.line,
                    f"{span}: starts before the previous cue ({timestamp(previous)}); "
                    "cues must be in time order",
                )
            )
        if limit_ms is not None and cue.end_ms > limit_ms:
            problems.append(
                SubtitleProblem(cue.line, f"{span}: ends after the title ({duration_s:g} s long)")
            )
        previous = max(previous, cue.start_ms)
    return problems


def sanitise(text: str) -> str:
    """Cue text with WebVTT's own tags only; other markup goes, its words stay (not scripts')."""
    text = _ASS_CODE.sub("", _DROP_CONTENT.sub("", text))
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(_allowed(match.group(0)))
        position = match.end()
    out.append(_escape(text[position:]))
    lines = ("".join(out)).replace("-->", "--&gt;").splitlines()
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _allowed(tag: str) -> str:
    if _TIMESTAMP_TAG.match(tag):
        return tag
    match = _ALLOWED_TAG.match(tag)
    if match is None:
        return ""
    closing, name, classes, annotation = match.groups()
    if closing:
        return f"</{name}>"
    if name in ("v", "lang") and annotation:
        return f"<{name}{classes} {_escape(annotation.strip())}>"
    return f"<{name}{classes}>"


def _escape(text: str) -> str:
    # Keep the entities WebVTT knows; every other `&`, and stray angle brackets, are text.
    parts = _ENTITY.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"&{part};")
        else:
            out.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def to_webvtt(cues: list[Cue]) -> str:
    """One WebVTT document (cues without text are left out: there is nothing to show)."""
    blocks = ["WEBVTT"]
    for cue in cues:
        if not cue.text:
            continue
        timing = f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}"
        blocks.append(f"{timing} {cue.settings}".rstrip() + "\n" + cue.text)
    return "\n\n".join(blocks) + "\n"
