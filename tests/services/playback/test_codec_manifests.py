"""A title in H.264, AV1 and VP9 through playback's per-session manifests: the plan's height limit
takes out every codec's tall rungs, each codec keeps its own DASH set, and the headless player
keeps to one codec. The manifests are the packager's own output for described renditions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

from vodstack.pipeline.media.dash import mpd
from vodstack.pipeline.media.hls import multivariant_playlist
from vodstack.pipeline.media.rendition import PackagedRendition, RenditionKind, Segment
from vodstack.player.headless.playlists import parse_master
from vodstack.services.playback.manifests import MPD_NS, filter_master, filter_mpd

NS = {"d": MPD_NS}
_SIZES = {360: (640, 360), 720: (1280, 720), 1080: (1920, 1080)}
# What each codec's init segment says for each height (avcC / av1C / vpcC).
_CODECS = {
    "": {360: "avc1.64001e", 720: "avc1.64001f", 1080: "avc1.640028"},
    "-av1": {360: "av01.0.04M.08", 720: "av01.0.05M.08", 1080: "av01.0.08M.08"},
    "-vp9": {360: "vp09.00.21.08", 720: "vp09.00.31.08", 1080: "vp09.00.40.08"},
}


def _rendition(name: str, codecs: str, kbps: int, height: int = 0) -> PackagedRendition:
    segments = tuple(
        Segment(number, (number - 1) * 48_000, 48_000, kbps * 500, 12_000) for number in range(1, 4)
    )
    width, tall = _SIZES.get(height, (0, 0))
    video = bool(height)
    return PackagedRendition(
        name=name,
        kind=RenditionKind.VIDEO if video else RenditionKind.AUDIO,
        codecs=codecs,
        timescale=12_000,
        segments=segments,
        width=width,
        height=tall,
        frame_rate=Fraction(25) if video else None,
        channels=0 if video else 2,
        sample_rate=0 if video else 48_000,
    )


def _title() -> tuple[list[PackagedRendition], PackagedRendition]:
    video = [
        _rendition(f"v{height}p{suffix}", codecs, kbps=height * (3 if suffix else 4), height=height)
        for suffix, by_height in _CODECS.items()
        for height, codecs in by_height.items()
    ]
    return video, _rendition("a128k", "mp4a.40.2", 128)


def test_the_master_lists_every_codec_h264_first_and_the_plan_limit_cuts_each() -> None:
    video, audio = _title()
    master = multivariant_playlist(video, audio)
    names = [line.split("/")[0] for line in master.splitlines() if line.endswith("index.m3u8")]
    assert names[:3] == ["v360p", "v720p", "v1080p"]  # H.264 first, lowest first
    assert set(names[3:]) == {n + s for n in ("v360p", "v720p", "v1080p") for s in ("-av1", "-vp9")}
    assert master.count('AUDIO="aac"') == 9  # every codec plays with the one audio group
    filtered = filter_master(master, 720)
    kept = sorted(v.uri.split("/")[0] for v in filtered.variants)
    assert kept == sorted(n + s for n in ("v360p", "v720p") for s in ("", "-av1", "-vp9"))
    assert filtered.above_plan_uris == {f"v1080p{s}/index.m3u8" for s in ("", "-av1", "-vp9")}
    assert 'CODECS="av01.0.05M.08,mp4a.40.2"' in filtered.text
    assert "av01.0.08M.08" not in filtered.text


def test_the_mpd_has_a_set_per_codec_and_the_plan_limit_cuts_each() -> None:
    video, audio = _title()
    text = filter_mpd(mpd(video, audio), 720, ["http://edge-a:1/v/1/av1/"], "T")
    root = ET.fromstring(text)
    sets = root.findall("d:Period/d:AdaptationSet[@contentType='video']", NS)
    by_codec = {}
    for adaptation in sets:
        reps = adaptation.findall("d:Representation", NS)
        assert len({str(r.get("codecs"))[:4] for r in reps}) == 1
        by_codec[str(reps[0].get("codecs"))[:4]] = adaptation
        assert adaptation.get("maxHeight") == "720"
        assert [r.get("height") for r in reps] == ["360", "720"]
    assert set(by_codec) == {"avc1", "av01", "vp09"}
    priorities = {k: int(str(a.get("selectionPriority"))) for k, a in by_codec.items()}
    assert priorities["av01"] > priorities["vp09"] > priorities["avc1"]
    ids = [a.get("id") for a in root.findall("d:Period/d:AdaptationSet", NS)]
    assert len(ids) == len(set(ids)) == 4


def test_the_headless_player_keeps_to_the_first_listed_codec() -> None:
    video, audio = _title()
    master = parse_master(multivariant_playlist(video, audio), "http://e/v/1/av1/master.m3u8")
    assert [v.name for v in master.variants] == ["v360p", "v720p", "v1080p"]
