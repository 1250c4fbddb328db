"""AV1 (SVT-AV1) and VP9 (libvpx) renditions beside H.264: one 8 s clip, every codec's ladder.

What must hold for a player to take any codec and for the manifests to be honest: every codec's
segments start at the same instants, decode, and say in CODECS exactly what the bitstream is
(read back with ffmpeg's own header parser, independent of our box reader).
"""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import av
import m3u8
import pytest

from vodstack.pipeline.media import (
    DecodeCheck,
    Pattern,
    RenditionKind,
    VideoCodec,
    describe_rendition,
    ffmpeg_exe,
    make_synthetic,
    segment_rendition,
    validate_asset,
    with_codecs,
    write_manifests,
)
from vodstack.pipeline.media.ladder import CODEC_PREFERENCE
from vodstack.pipeline.media.package import DASH_MANIFEST
from vodstack.pipeline.media.protection import CENC_NS, Cenc
from vodstack.pipeline.media.validate import decode_segment

from .asset_chain import TEST_LADDER, BuiltAsset, build_asset

CLIP_S = 8
_MPD = "{urn:mpeg:dash:schema:mpd:2011}"


@pytest.fixture(scope="module")
def codec_asset(tmp_path_factory: pytest.TempPathFactory) -> BuiltAsset:
    """8 s of testsrc2 at 320x240 in two 4 s chunks, in H.264, AV1 and VP9."""
    work = tmp_path_factory.mktemp("codecs")
    clip = make_synthetic(
        work / "clip.mp4",
        Pattern.TESTSRC2,
        duration_s=CLIP_S,
        width=320,
        height=240,
        title="Codecs",
        preset="ultrafast",
    )
    ladder = with_codecs(TEST_LADDER, [VideoCodec.AV1, VideoCodec.VP9])
    return build_asset(clip, work, chunk_s=4.0, ladder=ladder)


def _video(asset: BuiltAsset) -> list[str]:
    return [r.name for r in asset.renditions if r.kind is RenditionKind.VIDEO]


def test_every_codec_gets_every_rung_with_its_own_name(codec_asset: BuiltAsset) -> None:
    assert sorted(_video(codec_asset)) == sorted(
        [f"{rung}{suffix}" for rung in ("v120p", "v240p") for suffix in ("", "-av1", "-vp9")]
    )
    codecs = {r.name: r.codec for r in codec_asset.renditions if r.kind is RenditionKind.VIDEO}
    assert codecs["v240p"] is VideoCodec.H264
    assert codecs["v240p-av1"] is VideoCodec.AV1
    assert codecs["v240p-vp9"] is VideoCodec.VP9


def _keyframe_times(root: Path, name: str, segment: str) -> tuple[list[float], float]:
    """(times of the key packets, time of the first frame) of one segment, decoded by PyAV."""
    data = (root / name / "init.mp4").read_bytes() + (root / name / segment).read_bytes()
    with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        keys: list[float] = []
        frames: list[float] = []
        for packet in container.demux(stream):  # the last, empty packet flushes the decoder
            if packet.size and packet.is_keyframe and packet.pts is not None:
                keys.append(float(packet.pts * stream.time_base))
            frames += [float(f.time) for f in packet.decode() if f.time is not None]
    return keys, min(frames)


def test_segments_align_across_codecs_and_each_starts_on_its_only_keyframe(
    codec_asset: BuiltAsset,
) -> None:
    frame_s = 1 / float(codec_asset.norm.fps)
    starts: dict[str, list[float]] = {}
    for rendition in codec_asset.renditions:
        if rendition.kind is not RenditionKind.VIDEO:
            continue
        starts[rendition.name] = []
        for segment in rendition.segments:
            keys, first = _keyframe_times(codec_asset.root, rendition.name, segment.filename)
            assert keys == [pytest.approx(first, abs=1e-6)], (rendition.name, segment.number)
            starts[rendition.name].append(first)
    reference = starts["v240p"]
    assert reference == pytest.approx([0.0, 4.0], abs=frame_s / 2)
    for name, times in starts.items():
        assert times == pytest.approx(reference, abs=frame_s / 2), name


def test_every_segment_of_every_codec_decodes(codec_asset: BuiltAsset) -> None:
    report = validate_asset(codec_asset.root, decode=DecodeCheck.ALL)
    assert {r.name for r in report.renditions} >= set(_video(codec_asset))
    assert report.segments_decoded == sum(len(r.segments) for r in codec_asset.renditions)


def _trace_headers(path: Path) -> str:
    """ffmpeg's `trace_headers` log of a rendition's bitstream headers (AV1 OBUs, VP9 frames)."""
    return _ffmpeg(
        ["-i", str(path), "-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers", "-f", "null"]
    )


def _ffmpeg(args: list[str]) -> str:
    """Run ffmpeg to a null output; its whole log (the runner keeps only a tail)."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "debug", *args, "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stderr


def _field(trace: str, name: str) -> int | None:
    match = re.search(rf"\s{re.escape(name)}\s+[01]+ = (\d+)", trace)
    return int(match.group(1)) if match else None


# VP9 levels (VP9 bitstream spec, Annex A): max luma picture size, max luma samples/s.
_VP9_LEVELS = (
    (10, 36_864, 829_440),
    (11, 73_728, 2_764_800),
    (20, 122_880, 4_608_000),
    (21, 245_760, 9_216_000),
    (30, 552_960, 20_736_000),
    (31, 983_040, 36_864_000),
    (40, 2_228_224, 83_558_400),
)


def _expected_codecs(asset: BuiltAsset, name: str) -> str:
    """The CODECS string rebuilt from what ffmpeg reads in the bitstream itself."""
    joined = asset.root / name
    data = (joined / "init.mp4").read_bytes() + (joined / "seg_00001.m4s").read_bytes()
    first = asset.root.parent / f"{name}-first.mp4"
    first.write_bytes(data)
    with av.open(str(first)) as container:
        context = container.streams.video[0].codec_context
        assert context.format is not None
        width, height, pix_fmt = context.width, context.height, context.format.name
    depth = 10 if "10" in pix_fmt else 12 if "12" in pix_fmt else 8
    trace = _trace_headers(first)
    if name.endswith("-av1"):
        profile, level = _field(trace, "seq_profile"), _field(trace, "seq_level_idx[0]")
        assert profile is not None and level is not None
        tier = "H" if (level > 7 and _field(trace, "seq_tier[0]") == 1) else "M"
        return f"av01.{profile}.{level:02d}{tier}.{depth:02d}"
    if name.endswith("-vp9"):
        low, high = _field(trace, "profile_low_bit"), _field(trace, "profile_high_bit")
        assert low is not None and high is not None
        # VP9 carries no level: the lowest that holds this picture size at this frame rate.
        rate = width * height * float(asset.norm.fps)
        level = next(lv for lv, size, rps in _VP9_LEVELS if width * height <= size and rate <= rps)
        return f"vp09.{high * 2 + low:02d}.{level:02d}.{depth:02d}"
    with av.open(str(joined / "init.mp4")) as container:
        extradata = container.streams.video[0].codec_context.extradata
    assert extradata is not None
    return "avc1." + bytes(extradata[1:4]).hex()


def test_hls_master_lists_every_codec_with_the_codecs_the_bitstream_has(
    codec_asset: BuiltAsset,
) -> None:
    master = m3u8.load(str(codec_asset.root / "master.m3u8"))
    variants = {v.uri.split("/")[0]: v.stream_info for v in master.playlists}
    assert set(variants) == set(_video(codec_asset))
    order = [v.uri.split("/")[0] for v in master.playlists]
    assert order[:2] == ["v120p", "v240p"]  # H.264 first: a player taking the first plays it
    for name, info in variants.items():
        video_codec, audio_codec = info.codecs.split(",")
        assert audio_codec == "mp4a.40.2"
        assert info.audio == "aac"  # every codec's variants share the one audio group
        assert video_codec == _expected_codecs(codec_asset, name), name
    assert variants["v240p-av1"].codecs.startswith("av01.0.00M.08")  # 320x240@25: level 2.0
    assert variants["v240p-vp9"].codecs.startswith("vp09.00.20.08")


def test_dash_has_one_adaptation_set_per_codec_ranked_by_efficiency(
    codec_asset: BuiltAsset,
) -> None:
    root = ET.parse(codec_asset.root / "manifest.mpd").getroot()
    sets = root.findall(f"{_MPD}Period/{_MPD}AdaptationSet")
    video = [s for s in sets if s.get("contentType") == "video"]
    ids = [s.get("id") for s in sets]
    assert len(ids) == len(set(ids))
    by_codec: dict[str, ET.Element] = {}
    for adaptation in video:
        codecs = {rep.get("codecs", "")[:4] for rep in adaptation.findall(f"{_MPD}Representation")}
        assert len(codecs) == 1  # never two codecs in a set: ABR switches stay in one codec
        by_codec[codecs.pop()] = adaptation
    assert set(by_codec) == {"avc1", "av01", "vp09"}
    priority = {entry: int(s.get("selectionPriority", "0")) for entry, s in by_codec.items()}
    assert priority["av01"] > priority["vp09"] > priority["avc1"]
    assert CODEC_PREFERENCE[0] is VideoCodec.AV1
    for adaptation in video:
        for rep in adaptation.findall(f"{_MPD}Representation"):
            assert rep.get("codecs") == _expected_codecs(codec_asset, rep.get("id", ""))


@pytest.mark.parametrize("manifest", ["master.m3u8", "manifest.mpd"])
def test_ffmpeg_reads_every_rendition_through_the_manifests(
    codec_asset: BuiltAsset, manifest: str
) -> None:
    names = _video(codec_asset)
    args = ["-i", str(codec_asset.root / manifest)]
    for index in range(len(names)):
        args += ["-map", f"0:v:{index}"]
    log = _ffmpeg([*args, "-map", "0:a:0", "-f", "null"])
    decoders = set(re.findall(r"Stream #0:\d+.*?Video: (\w+)", log))
    assert {"h264", "av1", "vp9"} <= decoders


_KEY = Cenc(kid=bytes.fromhex("00112233445566778899aabbccddeeff"), key=bytes(range(16)))


@pytest.mark.parametrize(("name", "fourcc"), [("v240p-av1", b"av01"), ("v240p-vp9", b"vp09")])
def test_av1_and_vp9_encrypt_in_cmaf_and_decode_only_with_the_key(
    codec_asset: BuiltAsset, tmp_path: Path, name: str, fourcc: bytes
) -> None:
    """Issue 20, points 2 and 5: ffmpeg's cenc wraps AV1 and VP9 samples too (`encv` whose
    `frma` names the codec), the CODECS string stays the clear one, and the DASH manifest's
    adaptation set of that codec names the key."""
    root = tmp_path / "protected"
    segment_rendition(codec_asset.root.parent / f"{name}.mp4", root / name, cenc=_KEY)
    described = describe_rendition(root / name)
    clear = next(r for r in codec_asset.renditions if r.name == name)
    assert described.codecs == clear.codecs
    init = (root / name / "init.mp4").read_bytes()
    assert b"encv" in init and b"frma" + fourcc in init and _KEY.kid in init
    segment = root / name / "seg_00001.m4s"
    assert decode_segment(init, segment, _KEY.key) is None
    assert decode_segment(init, segment) is not None, f"{name} decodes without its key"
    audio = next(r for r in codec_asset.renditions if r.kind is RenditionKind.AUDIO)
    segment_rendition(codec_asset.root.parent / "audio.mp4", root / audio.name, cenc=_KEY)
    write_manifests(root, [described, describe_rendition(root / audio.name)], _KEY)
    master = (root / "master.m3u8").read_text()
    assert f'CODECS="{clear.codecs},' in master and "#EXT-X-SESSION-KEY" in master
    mpd = ET.fromstring((root / DASH_MANIFEST).read_text())
    for adaptation in mpd.iter(f"{_MPD}AdaptationSet"):
        protection = adaptation.iter(f"{_MPD}ContentProtection")
        assert _KEY.kid_uuid in [p.get(f"{{{CENC_NS}}}default_KID") for p in protection]
