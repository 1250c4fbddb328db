"""Ladder rules: never upscale, even sizes from the display aspect, levels and CODECS strings."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vodstack.pipeline.media import DEFAULT_LADDER, Normalization, resolve_ladder
from vodstack.pipeline.media.ladder import h264_level


def _norm(width: int, height: int, fps: Fraction = Fraction(25)) -> Normalization:
    return Normalization(fps=fps, deinterlace=False, to_8bit_420=False, width=width, height=height)


@pytest.mark.parametrize(
    ("size", "names"),
    [
        ((1920, 1080), ["v240p", "v360p", "v480p", "v720p", "v1080p"]),
        ((3840, 2160), ["v240p", "v360p", "v480p", "v720p", "v1080p", "v2160p"]),
        ((1280, 720), ["v240p", "v360p", "v480p", "v720p"]),
        ((640, 360), ["v240p", "v360p"]),
        ((1080, 1920), ["v240p", "v360p", "v480p", "v720p", "v1080p"]),
    ],
)
def test_never_upscales(size: tuple[int, int], names: list[str]) -> None:
    ladder = resolve_ladder(DEFAULT_LADDER, _norm(*size))
    assert [r.name for r in ladder.video] == names
    for rendition in ladder.video:
        assert rendition.width <= max(size) and rendition.height <= max(size)
        assert min(rendition.width, rendition.height) <= min(size)


@pytest.mark.parametrize(
    "size", [(1920, 1080), (1440, 1080), (321, 241), (1998, 1080), (720, 1280)]
)
def test_dimensions_are_even_and_keep_the_aspect(size: tuple[int, int]) -> None:
    width, height = size
    for rendition in resolve_ladder(DEFAULT_LADDER, _norm(width, height)).video:
        assert rendition.width % 2 == 0 and rendition.height % 2 == 0
        assert rendition.width / rendition.height == pytest.approx(width / height, rel=0.02)


def test_a_tiny_source_gets_one_rendition_at_its_own_size() -> None:
    ladder = resolve_ladder(DEFAULT_LADDER, _norm(176, 145))
    (only,) = ladder.video
    assert (only.width, only.height) == (174, 144)  # even, same aspect, never larger


def test_sixteen_by_nine_sizes_and_bitrates() -> None:
    ladder = resolve_ladder(DEFAULT_LADDER, _norm(3840, 2160))
    sizes = {r.name: (r.width, r.height, r.rung.bitrate_kbps) for r in ladder.video}
    assert sizes["v240p"] == (426, 240, 400)
    assert sizes["v720p"] == (1280, 720, 2800)
    assert sizes["v2160p"] == (3840, 2160, 14000)
    assert ladder.top.name == "v2160p"
    assert ladder.audio.name == "a128k" and ladder.audio.codecs == "mp4a.40.2"
    for rendition in ladder.video:
        rung = rendition.rung
        assert rung.bitrate_kbps < rung.maxrate_kbps < rung.bufsize_kbit


def test_levels_and_codecs_strings() -> None:
    assert h264_level(1280, 720, Fraction(30), 4200) == "3.1"
    assert h264_level(1920, 1080, Fraction(30), 7500) == "4.0"
    assert h264_level(1920, 1080, Fraction(60), 7500) == "4.2"
    assert h264_level(3840, 2160, Fraction(30), 21000) == "5.1"
    ladder = resolve_ladder(DEFAULT_LADDER, _norm(1920, 1080, Fraction(30)))
    codecs = {r.name: r.codecs for r in ladder.video}
    assert codecs["v720p"] == "avc1.64001f"
    assert codecs["v1080p"] == "avc1.640028"
    assert all(r.gop_frames == 120 for r in ladder.video)


def test_other_codecs_repeat_every_rung_with_a_scaled_budget() -> None:
    from vodstack.pipeline.media import VideoCodec, with_codecs
    from vodstack.pipeline.media.ladder import BUDGET_FACTOR

    ladder = with_codecs(DEFAULT_LADDER, [VideoCodec.AV1, VideoCodec.VP9, VideoCodec.AV1])
    resolved = resolve_ladder(ladder, _norm(1280, 720))
    names = [r.name for r in resolved.video]
    h264 = ["v240p", "v360p", "v480p", "v720p"]
    assert names == [*h264, *(f"{n}-av1" for n in h264), *(f"{n}-vp9" for n in h264)]
    by_name = {r.name: r for r in resolved.video}
    for name in h264:
        base = by_name[name].rung
        for codec in (VideoCodec.AV1, VideoCodec.VP9):
            rung = by_name[f"{name}-{codec.value}"].rung
            assert rung.codec is codec and rung.height == base.height
            assert rung.bitrate_kbps == round(base.bitrate_kbps * BUDGET_FACTOR[codec])
            assert (by_name[name].width, by_name[name].height) == (
                by_name[f"{name}-{codec.value}"].width,
                by_name[f"{name}-{codec.value}"].height,
            )
    # H.264 is always kept: the fallback every player decodes.
    assert [r.codec for r in with_codecs(DEFAULT_LADDER, [VideoCodec.AV1]).video][:1] == [
        VideoCodec.H264
    ]


def test_a_source_below_the_lowest_rung_gets_one_rendition_per_codec() -> None:
    from vodstack.pipeline.media import VideoCodec, with_codecs

    ladder = with_codecs(DEFAULT_LADDER, [VideoCodec.AV1])
    assert [r.name for r in resolve_ladder(ladder, _norm(320, 180)).video] == [
        "v240p",
        "v240p-av1",
    ]
