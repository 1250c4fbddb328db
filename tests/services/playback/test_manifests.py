"""Per-session manifests: a plan's height limit removes renditions; URLs are absolute and signed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.support.playback import MASTER, MEDIA, MPD
from vodstack.services.playback.manifests import (
    MPD_NS,
    NoAllowedRendition,
    filter_master,
    filter_mpd,
    sign_media_playlist,
)

NS = {"d": MPD_NS}


def test_master_keeps_only_variants_at_or_below_the_plan_height() -> None:
    filtered = filter_master(MASTER, 720)
    assert [v.uri for v in filtered.variants] == ["v360p/index.m3u8", "v720p/index.m3u8"]
    assert "1920x1080" not in filtered.text
    assert "v1080p" not in filtered.text
    assert filtered.playlist_uris == {"a128k/index.m3u8", "v360p/index.m3u8", "v720p/index.m3u8"}


def test_master_keeps_everything_for_a_plan_above_the_ladder() -> None:
    filtered = filter_master(MASTER, 2160)
    assert [v.height for v in filtered.variants] == [360, 720, 1080]
    assert filtered.text.splitlines() == MASTER.splitlines()


def test_portrait_video_is_classed_by_its_short_side() -> None:
    portrait = MASTER.replace("1280x720", "720x1280").replace("1920x1080", "1080x1920")
    assert [v.height for v in filter_master(portrait, 720).variants] == [360, 720]


def test_no_rendition_under_the_limit_is_an_error() -> None:
    with pytest.raises(NoAllowedRendition):
        filter_master(MASTER, 240)


def test_media_playlist_uris_become_absolute_and_signed() -> None:
    url = "http://edge-a:1/v/1/av1/v720p/index.m3u8"
    signed = sign_media_playlist(MEDIA, url, "TOKEN")
    assert '#EXT-X-MAP:URI="http://edge-a:1/v/1/av1/v720p/init.mp4?t=TOKEN"' in signed
    assert "http://edge-a:1/v/1/av1/v720p/seg_00001.m4s?t=TOKEN" in signed.splitlines()
    assert "#EXTINF:4.000000," in signed
    assert "#EXT-X-ENDLIST" in signed


def test_mpd_filters_representations_and_lists_every_edge() -> None:
    bases = ["http://edge-a:1/v/1/av1/", "http://origin:3/v/1/av1/"]
    root = ET.fromstring(filter_mpd(MPD, 720, bases, "TOKEN"))
    assert [e.text for e in root.findall("d:BaseURL", NS)] == bases
    video = root.find("d:Period/d:AdaptationSet[@contentType='video']", NS)
    assert video is not None
    assert [r.get("id") for r in video.findall("d:Representation", NS)] == ["v360p", "v720p"]
    assert video.get("maxHeight") == "720"
    templates = root.findall(".//d:SegmentTemplate", NS)
    assert len(templates) == 3  # two video rungs and the audio
    for template in templates:
        assert str(template.get("media")).endswith(".m4s?t=TOKEN")
        assert str(template.get("initialization")).endswith("init.mp4?t=TOKEN")


def test_mpd_keeps_its_namespace_prefix_free() -> None:
    text = filter_mpd(MPD, 1080, ["http://e/v/1/av1/"], "T")
    assert "ns0:" not in text
    assert f'xmlns="{MPD_NS}"' in text


def test_mpd_without_allowed_video_is_an_error() -> None:
    with pytest.raises(NoAllowedRendition):
        filter_mpd(MPD, 200, ["http://e/"], "T")
