"""A generated 12 s clip through probe -> chunks -> concat -> package -> manifests -> QA."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import av
import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from vodstack.pipeline.media import (
    DecodeCheck,
    FfmpegRunner,
    Progress,
    RenditionKind,
    measure_quality,
    validate_asset,
)

from .asset_chain import BuiltAsset


def _decode(root: Path, name: str, segment: str) -> tuple[list[float], str]:
    """Presentation times of every frame/packet in one segment, and the stream kind."""
    data = (root / name / "init.mp4").read_bytes() + (root / name / segment).read_bytes()
    with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
        stream = container.streams[0]
        times = [
            float(f.time)
            for f in container.decode(stream)
            if isinstance(f, av.VideoFrame | av.AudioFrame) and f.time is not None
        ]
        return sorted(times), stream.type


def test_every_segment_decodes_and_validates(asset: BuiltAsset) -> None:
    report = validate_asset(asset.root, decode=DecodeCheck.ALL)
    assert {r.name for r in report.renditions} == {"v120p", "v240p", "a128k"}
    assert report.segments_decoded == 9  # 3 segments x (2 video + 1 audio)
    for rendition in asset.renditions:
        for segment in rendition.segments:
            times, _ = _decode(asset.root, rendition.name, segment.filename)
            assert times, f"{rendition.name}/{segment.filename} decoded to nothing"


def test_segment_boundaries_align_across_renditions(asset: BuiltAsset) -> None:
    starts: dict[str, list[float]] = {}
    for rendition in asset.renditions:
        starts[rendition.name] = [
            _decode(asset.root, rendition.name, s.filename)[0][0] for s in rendition.segments
        ]
    assert starts["v120p"] == starts["v240p"] == pytest.approx([0.0, 4.0, 8.0], abs=1e-6)
    # Audio cuts at the first AAC frame (21.3 ms) at or after each boundary.
    assert starts["a128k"] == pytest.approx([0.0, 4.0, 8.0], abs=0.025)


def test_every_segment_starts_with_a_keyframe(asset: BuiltAsset) -> None:
    for rendition in asset.renditions:
        if rendition.kind is RenditionKind.AUDIO:
            continue
        for segment in rendition.segments:
            data = (asset.root / rendition.name / "init.mp4").read_bytes()
            data += (asset.root / rendition.name / segment.filename).read_bytes()
            with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
                packets = [p for p in container.demux(container.streams.video[0]) if p.size]
            assert packets[0].is_keyframe
            assert sum(p.is_keyframe for p in packets) == 1  # one closed GOP per segment


def test_durations_match_the_source_within_one_frame(asset: BuiltAsset) -> None:
    frame_s = 1 / float(asset.norm.fps)
    for rendition in asset.renditions:
        if rendition.kind is RenditionKind.VIDEO:
            frames = sum(
                len(_decode(asset.root, rendition.name, s.filename)[0]) for s in rendition.segments
            )
            assert abs(frames * frame_s - asset.info.duration_s) <= frame_s + 1e-9
            assert abs(rendition.duration_s - asset.info.duration_s) <= frame_s + 1e-9
        else:
            # The AAC track ends at most two AAC frames before the video (see encode_audio).
            assert 0 <= asset.info.duration_s - rendition.duration_s <= 2 * 1024 / 48_000


def test_master_playlist_parses_and_bandwidth_covers_measured_peaks(asset: BuiltAsset) -> None:
    master = m3u8.load(str(asset.root / "master.m3u8"))
    assert master.is_variant
    audio = [m for m in master.media if m.type == "AUDIO"]
    assert len(audio) == 1 and audio[0].group_id == "aac"
    assert len(master.playlists) == 2
    audio_peak = _measured_peak_bps(asset.root, "a128k")
    for variant in master.playlists:
        info = variant.stream_info
        name = variant.uri.split("/")[0]
        width, height = info.resolution
        assert (width, height) == {"v120p": (160, 120), "v240p": (320, 240)}[name]
        video_codec, audio_codec = info.codecs.split(",")
        assert audio_codec == "mp4a.40.2"
        assert video_codec == _avc_codecs_from_pyav(asset.root / name / "init.mp4")
        assert info.frame_rate == pytest.approx(25.0)
        assert info.audio == "aac"
        assert info.average_bandwidth <= info.bandwidth
        assert _measured_peak_bps(asset.root, name) + audio_peak <= info.bandwidth
        media = m3u8.load(str(asset.root / variant.uri))
        assert media.is_endlist and media.playlist_type == "vod"
        assert media.segment_map[0].uri == "init.mp4"
        assert [s.uri for s in media.segments] == [
            "seg_00001.m4s",
            "seg_00002.m4s",
            "seg_00003.m4s",
        ]
        assert sum(s.duration for s in media.segments) == pytest.approx(12.0, abs=0.04)


def _avc_codecs_from_pyav(init: Path) -> str:
    """`avc1.PPCCLL` from the decoder's view of the stream (independent of our box parser)."""
    with av.open(str(init)) as container:
        extradata = container.streams.video[0].codec_context.extradata
    assert extradata is not None
    return "avc1." + bytes(extradata[1:4]).hex()


def _measured_peak_bps(root: Path, name: str) -> float:
    """Peak segment bit rate from file sizes and PyAV-decoded durations (independent of ours)."""
    peak = 0.0
    for path in sorted((root / name).glob("seg_*.m4s")):
        times, kind = _decode(root, name, path.name)
        step = 1 / 25 if kind == "video" else 1024 / 48_000
        duration = times[-1] - times[0] + step
        peak = max(peak, path.stat().st_size * 8 / duration)
    return peak


def test_peak_bitrate_respects_the_rung_budget(asset: BuiltAsset) -> None:
    for rendition in asset.ladder.video:
        rung = rendition.rung
        # With a VBV of bufsize, one 4 s segment cannot exceed maxrate x 4 s + bufsize.
        budget = (rung.maxrate_kbps * 4 + rung.bufsize_kbit) * 1000 / 4
        assert _measured_peak_bps(asset.root, rendition.name) <= budget


def test_dash_manifest_parses_and_matches_the_files(asset: BuiltAsset) -> None:
    mpd = MPEGDASHParser.parse(str(asset.root / "manifest.mpd"))
    assert mpd.type == "static"
    (period,) = mpd.periods
    kinds = {a.content_type: a for a in period.adaptation_sets}
    assert set(kinds) == {"video", "audio"}
    for adaptation in period.adaptation_sets:
        for representation in adaptation.representations:
            template = representation.segment_templates[0]
            assert template.media == f"{representation.id}/seg_$Number%05d$.m4s"
            assert template.start_number == 1
            timeline = template.segment_timelines[0].Ss
            count = sum(1 + (s.r or 0) for s in timeline)
            assert count == len(list((asset.root / representation.id).glob("seg_*.m4s")))
            total = sum(s.d * (1 + (s.r or 0)) for s in timeline) / template.timescale
            assert total == pytest.approx(12.0, abs=0.05)


@pytest.mark.parametrize("manifest", ["master.m3u8", "manifest.mpd"])
def test_ffmpeg_plays_the_manifest_as_a_client(asset: BuiltAsset, manifest: str) -> None:
    reports: list[Progress] = []
    FfmpegRunner().run(
        ["-i", str(asset.root / manifest), "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-"],
        progress=reports.append,
        timeout_s=60,
    )
    assert reports[-1].done
    assert reports[-1].out_time_s == pytest.approx(12.0, abs=0.1)


def test_quality_json_scores_every_video_rendition(asset: BuiltAsset) -> None:
    report = json.loads((asset.root / "quality.json").read_text())
    assert report["model"] == "vmaf_v0.6.1"
    assert (report["reference_width"], report["reference_height"]) == (320, 240)
    scores = {r["name"]: r["vmaf_mean"] for r in report["renditions"]}
    assert set(scores) == {"v120p", "v240p"}
    assert 0 < scores["v120p"] < scores["v240p"] <= 100


def test_quality_reports_its_progress_over_every_sample(asset: BuiltAsset, tmp_path: Path) -> None:
    fractions: list[float] = []
    measure_quality(
        asset.source,
        asset.norm,
        asset.root,
        asset.renditions,
        samples=1,
        on_progress=fractions.append,
    )
    # Two renditions, one sample each: the second run starts where the first ended.
    assert fractions == sorted(fractions)
    assert any(0.5 <= f < 1.0 for f in fractions)
    assert fractions[-1] == pytest.approx(1.0, abs=0.05)


def test_poster_and_trickplay(asset: BuiltAsset) -> None:
    with av.open(str(asset.root / "poster.jpg")) as container:
        poster = next(container.decode(video=0))
    assert (poster.width, poster.height) == (320, 240)
    vtt = (asset.root / "thumbs" / "thumbs.vtt").read_text().splitlines()
    assert vtt[0] == "WEBVTT"
    assert "00:00:00.000 --> 00:00:10.000" in vtt
    assert "sprite_001.jpg#xywh=0,0,160,120" in vtt
    assert "00:00:10.000 --> 00:00:12.000" in vtt
    assert "sprite_001.jpg#xywh=160,0,160,120" in vtt
    with av.open(str(asset.root / "thumbs" / "sprite_001.jpg")) as container:
        sheet = next(container.decode(video=0))
    assert (sheet.width, sheet.height) == (800, 600)


def test_frame_rate_is_measured_from_segments(asset: BuiltAsset) -> None:
    video = [r for r in asset.renditions if r.kind is RenditionKind.VIDEO]
    assert all(r.frame_rate == Fraction(25) for r in video)
