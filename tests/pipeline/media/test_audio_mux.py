"""`vodstack ingest FILE --audio fr=FILE`: an extra language file joins the master's own audio,
tagged, and the pipeline plans a rendition for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.media.asset_chain import TEST_LADDER
from vodstack.pipeline.media import probe
from vodstack.pipeline.media.audio_mux import ExtraAudio, mux_extra_audio, parse_extra
from vodstack.pipeline.media.audio_tracks import audio_rungs
from vodstack.pipeline.media.errors import InvalidMedia
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL
from vodstack.pipeline.media.multilingual import Voice, multilingual_clip


def _tone_file(path: Path, hz: int) -> Path:
    tone = f"sine=frequency={hz}:sample_rate=48000:duration=2"
    DEFAULT_CONTROL.run(["-f", "lavfi", "-i", tone, "-c:a", "aac", str(path)])
    return path


def test_an_extra_language_file_becomes_a_tagged_stream_and_a_rendition(tmp_path: Path) -> None:
    master = multilingual_clip(tmp_path / "master.mp4", 2, [Voice("eng", 440)])
    french = _tone_file(tmp_path / "french.m4a", 880)
    joined = mux_extra_audio(
        master, [ExtraAudio("fr", french, "Doublage")], tmp_path / "joined.mkv"
    )
    info = probe(joined)
    assert [(s.index, s.language, s.title) for s in info.audio_streams] == [
        (0, "eng", ""),
        (1, "fra", "Doublage"),
    ]
    rungs = audio_rungs(info, TEST_LADDER.audio)
    assert [(r.name, r.language, r.label) for r in rungs] == [
        ("a128k", "en", "English"),
        ("a1-fr", "fr", "Doublage"),
    ]


def test_an_extra_file_without_audio_is_refused(tmp_path: Path) -> None:
    master = multilingual_clip(tmp_path / "master.mp4", 1, [Voice("eng", 440)])
    silent = tmp_path / "silent.mp4"
    DEFAULT_CONTROL.run(["-i", str(master), "-an", "-c", "copy", str(silent)])
    with pytest.raises(InvalidMedia, match=r"silent\.mp4 has no audio stream"):
        mux_extra_audio(master, [ExtraAudio("fr", silent)], tmp_path / "joined.mkv")


@pytest.mark.parametrize(
    ("text", "message"),
    [("fr", "expected LANG=FILE"), ("French=x.m4a", "not a language tag"), ("fr=", "LANG=FILE")],
)
def test_bad_audio_options_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_extra(text)
    assert parse_extra("pt-BR=dub.m4a") == ExtraAudio("pt-BR", Path("dub.m4a"))
