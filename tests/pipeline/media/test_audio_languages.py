"""Issue 20 point 3: every audio stream of a source becomes its own rendition with its language
and name (5.1 beside stereo when the stream has six channels), the manifests group them, and
ffmpeg reads each one back with the right tone."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import av
import numpy as np
import pytest

from tests.pipeline.media.asset_chain import FAST, TEST_LADDER
from vodstack.delivery.hls import MEDIA, STREAM_INF, read_playlist
from vodstack.pipeline.media import (
    concat_chunks,
    describe_rendition,
    encode_audio,
    encode_chunk,
    plan_chunks,
    plan_normalization,
    probe,
    resolve_ladder,
    segment_rendition,
    write_manifests,
)
from vodstack.pipeline.media.audio_tracks import audio_rungs, write_track
from vodstack.pipeline.media.multilingual import Voice, multilingual_clip
from vodstack.pipeline.media.validate import DecodeCheck, validate_asset

SECONDS = 3
VOICES = [Voice("eng", 440), Voice("fre", 880, channels=6, title="Version française")]
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-language source packaged by the media chain: one video rung, every audio one."""
    work = tmp_path_factory.mktemp("languages")
    source = multilingual_clip(work / "source.mp4", SECONDS, VOICES)
    info = probe(source)
    norm = plan_normalization(info)
    ladder = resolve_ladder(TEST_LADDER, norm)
    video = ladder.video[0]
    root = work / "asset"
    parts = [
        encode_chunk(source, norm, chunk, video, work / f"v{chunk.index}.mp4", settings=FAST).path
        for chunk in plan_chunks(info, norm, chunk_s=8)
    ]
    segment_rendition(concat_chunks(parts, work / "video.mp4").path, root / video.name)
    for rung in audio_rungs(info, ladder.audio):
        encoded = encode_audio(source, info, norm, rung, work / f"{rung.name}.mp4")
        write_track(root / rung.name, rung)
        segment_rendition(encoded.path, root / rung.name)
    names = [video.name, *(r.name for r in audio_rungs(info, ladder.audio))]
    write_manifests(root, [describe_rendition(root / name) for name in names])
    return root


def test_one_rendition_per_stream_and_layout(tmp_path: Path) -> None:
    info = probe(multilingual_clip(tmp_path / "s.mp4", 1, VOICES))
    assert [(s.index, s.language, s.channels) for s in info.audio_streams] == [
        (0, "eng", 2),
        (1, "fre", 6),
    ]
    rungs = audio_rungs(info, TEST_LADDER.audio)
    assert [(r.name, r.stream, r.language, r.channels, r.default) for r in rungs] == [
        ("a128k", 0, "en", 2, True),
        ("a1-fr", 1, "fr", 2, False),
        ("a1-fr-6ch", 1, "fr", 6, False),
    ]
    assert [r.label for r in rungs] == ["English", "Version française", "Version française 5.1"]


def test_master_has_an_audio_group_with_language_name_default_and_channels(asset: Path) -> None:
    lines = list(read_playlist((asset / "master.m3u8").read_text()))
    media = [ln.attributes for ln in lines if ln.tag == MEDIA]
    assert [(m["LANGUAGE"], m["NAME"], m["DEFAULT"], m["CHANNELS"], m["URI"]) for m in media] == [
        ("en", "English", "YES", "2", "a128k/index.m3u8"),
        ("fr", "Version française", "NO", "2", "a1-fr/index.m3u8"),
        ("fr", "Version française 5.1", "NO", "6", "a1-fr-6ch/index.m3u8"),
    ]
    assert {m["GROUP-ID"] for m in media} == {"aac"} and {m["AUTOSELECT"] for m in media} == {"YES"}
    [variant] = [ln.attributes for ln in lines if ln.tag == STREAM_INF]
    assert variant["AUDIO"] == "aac" and variant["CODECS"].endswith(",mp4a.40.2")


def test_mpd_has_one_audio_adaptation_set_per_language(asset: Path) -> None:
    root = ET.fromstring((asset / "manifest.mpd").read_text())
    sets = root.findall("d:Period/d:AdaptationSet[@contentType='audio']", NS)
    assert [s.get("lang") for s in sets] == ["en", "fr"]
    roles = [s.find("d:Role", NS) for s in sets]
    assert [r.get("value") if r is not None else None for r in roles] == ["main", "alternate"]
    french = [r.get("id") for r in sets[1].findall("d:Representation", NS)]
    assert french == ["a1-fr", "a1-fr-6ch"]
    channels = sets[1].findall("d:Representation/d:AudioChannelConfiguration", NS)
    assert [c.get("value") for c in channels] == ["2", "6"]


def _tone_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples - samples.mean()))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(
    ("name", "language", "channels", "tone"),
    [("a128k", "eng", 2, 440), ("a1-fr", "fra", 2, 880), ("a1-fr-6ch", "fra", 6, 880)],
)
def test_ffmpeg_reads_each_rendition_with_its_own_tone(
    asset: Path, name: str, language: str, channels: int, tone: int
) -> None:
    folder = asset / name
    data = (folder / "init.mp4").read_bytes()
    data += b"".join(p.read_bytes() for p in sorted(folder.glob("seg_*.m4s")))
    with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
        stream = container.streams.audio[0]
        assert stream.metadata.get("language") == language
        frames = [f.to_ndarray() for f in container.decode(stream)]
        assert stream.codec_context.channels == channels
        rate = stream.codec_context.sample_rate
    # AAC decodes planar, (channels, samples) per frame; a mono tone upmixed to 5.1 sits in the
    # centre channel alone, so the channels are summed.
    samples = np.concatenate(frames, axis=1).sum(axis=0)
    assert len(samples) / rate == pytest.approx(SECONDS, abs=0.2)
    assert _tone_hz(samples, rate) == pytest.approx(tone, abs=10)


def test_the_packaged_asset_validates(asset: Path) -> None:
    report = validate_asset(asset, decode=DecodeCheck.ALL, require_extras=False)
    audio = {r.name for r in report.renditions if r.kind == "audio"}
    assert audio == {"a128k", "a1-fr", "a1-fr-6ch"}
