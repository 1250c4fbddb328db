"""Subtitle parsing, validation and sanitising: what an uploader sees when a file is refused."""

from __future__ import annotations

import codecs

import pytest

from vodstack.pipeline.media.errors import InvalidSubtitles
from vodstack.pipeline.media.subtitles import (
    MAX_SUBTITLE_BYTES,
    parse_subtitles,
    sanitise,
    to_webvtt,
)

SRT = """1
00:00:00,500 --> 00:00:02,000
Bonjour <font color="red">à tous</font>

2
00:00:02,500 --> 00:00:03,900
{\\an8}<i>Deuxième</i> ligne
et une autre
"""


def _problems(data: bytes, duration_s: float | None = None) -> list[tuple[int, str]]:
    with pytest.raises(InvalidSubtitles) as caught:
        parse_subtitles(data, duration_s=duration_s)
    return [(p.line, p.message) for p in caught.value.problems]


def test_srt_becomes_webvtt_with_its_timings_and_allowed_markup_only() -> None:
    cues = parse_subtitles(SRT.encode(), duration_s=4)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(500, 2000), (2500, 3900)]
    assert to_webvtt(cues) == (
        "WEBVTT\n\n"
        "00:00:00.500 --> 00:00:02.000\nBonjour à tous\n\n"
        "00:00:02.500 --> 00:00:03.900\n<i>Deuxième</i> ligne\net une autre\n"
    )


def test_webvtt_keeps_cue_settings_voice_and_class_and_skips_notes() -> None:
    vtt = (
        "WEBVTT - a header\nKind: captions\n\nNOTE a comment\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10% bogus:1\n"
        "<v Ana>Hi</v> <c.loud>there</c> <00:01.500>now\n"
    )
    [cue] = parse_subtitles(vtt.encode())
    assert cue.settings == "align:start position:10%"
    assert cue.text == "<v Ana>Hi</v> <c.loud>there</c> <00:01.500>now"


def test_scripts_and_html_are_removed_and_stray_brackets_escaped() -> None:
    text = (
        '<script>alert("x")</script><b onclick="x()">bold</b> <img src=x onerror=y> 1 < 2 & 3 --> 4'
    )
    assert sanitise(text) == "<b>bold</b>  1 &lt; 2 &amp; 3 --&gt; 4"


def test_a_latin1_file_is_refused_naming_the_line_of_the_bad_byte() -> None:
    data = "1\n00:00:00,000 --> 00:00:01,000\nDéjà vu\n".encode("latin-1")
    [(line, message)] = _problems(data)
    assert line == 3
    assert "0xe9" in message and "UTF-8" in message


def test_utf16_with_a_byte_order_mark_is_read() -> None:
    data = codecs.BOM_UTF16_LE + SRT.encode("utf-16-le")
    assert len(parse_subtitles(data)) == 2


def test_an_end_before_its_start_names_the_timing_line() -> None:
    srt = SRT.replace("00:00:02,500 --> 00:00:03,900", "00:00:03,500 --> 00:00:03,100")
    [(line, message)] = _problems(srt.encode())
    assert line == 6
    assert "00:00:03.500 --> 00:00:03.100" in message and "end is not after the start" in message


def test_cues_out_of_order_and_past_the_title_are_named() -> None:
    srt = "1\n00:00:05,000 --> 00:00:06,000\na\n\n2\n00:00:01,000 --> 00:00:09,000\nb\n"
    problems = _problems(srt.encode(), duration_s=6)
    assert [line for line, _ in problems] == [6, 6]
    assert "before the previous cue" in problems[0][1]
    assert "ends after the title (6 s long)" in problems[1][1]


def test_an_unreadable_timing_is_named() -> None:
    srt = SRT.replace("00:00:00,500 --> 00:00:02,000", "00:00:00.5 -> 00:00:02,000")
    [(line, message)] = _problems(srt.encode())
    assert line == 1  # no '-->' at all: the block has no timing line
    assert "expected a timing line" in message
    srt = SRT.replace("00:00:00,500 --> 00:00:02,000", "00:00:0x,500 --> 00:00:02,000")
    [(line, message)] = _problems(srt.encode())
    assert line == 2 and "cannot read the timing" in message


def test_an_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidSubtitles) as caught:
        parse_subtitles(b"x" * (MAX_SUBTITLE_BYTES + 1))
    assert caught.value.too_large


def test_a_file_without_cues_is_refused() -> None:
    assert _problems(b"WEBVTT\n\n") == [(1, "no cue found (expected 'start --> end' lines)")]
