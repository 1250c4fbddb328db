"""Subtitle tracks in the per-session manifests: an HLS SUBTITLES group every variant names, a
DASH text AdaptationSet per language with a signed WebVTT URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.support.playback import MASTER, MPD
from vodstack.delivery.hls import MEDIA, STREAM_INF, read_playlist
from vodstack.delivery.subtitles import (
    SubtitleTrack,
    media_playlist,
    read_index,
    with_hls_subtitles,
    with_track,
    write_index,
)
from vodstack.services.playback.manifests import MPD_NS, filter_master, filter_mpd

NS = {"d": MPD_NS}
FR = SubtitleTrack("fr", "Français", "subs/fr-aaaa.vtt", "subs/fr-aaaa.m3u8")
EN = SubtitleTrack("en", "English", "subs/en-bbbb.vtt", "subs/en-bbbb.m3u8")


def test_master_offers_a_subtitles_group_named_by_every_variant() -> None:
    text = with_hls_subtitles(filter_master(MASTER, 720).text, [FR, EN])
    lines = list(read_playlist(text))
    media = [ln.attributes for ln in lines if ln.tag == MEDIA and "SUBTITLES" in ln.value]
    assert [(m["LANGUAGE"], m["NAME"], m["URI"]) for m in media] == [
        ("en", "English", "subs/en-bbbb.m3u8"),
        ("fr", "Français", "subs/fr-aaaa.m3u8"),
    ]
    assert all(m["GROUP-ID"] == "subs" and m["DEFAULT"] == "NO" for m in media)
    variants = [ln.attributes for ln in lines if ln.tag == STREAM_INF]
    assert len(variants) == 2 and all(v["SUBTITLES"] == "subs" for v in variants)
    # The subtitle playlists are offered: playback serves them to this session.
    assert {"subs/en-bbbb.m3u8", "subs/fr-aaaa.m3u8"} <= filter_master(text, 720).playlist_uris


def test_master_without_subtitles_is_unchanged() -> None:
    assert with_hls_subtitles(MASTER, []) == MASTER


def test_mpd_has_one_text_set_per_language_with_a_signed_webvtt() -> None:
    root = ET.fromstring(filter_mpd(MPD, 720, ["http://e/v/1/av1/"], "TOKEN", [FR, EN]))
    texts = root.findall("d:Period/d:AdaptationSet[@contentType='text']", NS)
    assert [(t.get("lang"), t.get("mimeType")) for t in texts] == [
        ("en", "text/vtt"),
        ("fr", "text/vtt"),
    ]
    for adaptation, track in zip(texts, [EN, FR], strict=True):
        role = adaptation.find("d:Role", NS)
        assert role is not None and role.get("value") == "subtitle"
        base = adaptation.find("d:Representation/d:BaseURL", NS)
        assert base is not None and base.text == f"{track.vtt}?t=TOKEN"


def test_the_index_replaces_a_language_and_round_trips() -> None:
    newer = SubtitleTrack("fr", "Français", "subs/fr-cccc.vtt", "subs/fr-cccc.m3u8")
    tracks = with_track(with_track([FR, EN], newer), EN)
    assert read_index(write_index(tracks)) == [EN, newer]
    assert read_index(None) == []


def test_the_subtitle_playlist_is_one_webvtt_segment_for_the_whole_title() -> None:
    lines = media_playlist("fr-aaaa.vtt", 20.0).splitlines()
    assert lines[2] == "#EXT-X-TARGETDURATION:20"
    assert lines[-3:] == ["#EXTINF:20.000,", "fr-aaaa.vtt", "#EXT-X-ENDLIST"]
