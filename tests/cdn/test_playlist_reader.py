"""The one HLS playlist reader (delivery/hls.py) that playback's rewriter and the headless
player share: URIs tied to their tags, quoted attributes, URI rewriting in place."""

from __future__ import annotations

from vodstack.delivery.hls import EXTINF, MAP, MEDIA, STREAM_INF, read_playlist

MASTER = """#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="a, b",URI="a128k/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
v360p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720
v720p/index.m3u8
"""

MEDIA_PLAYLIST = """#EXTM3U
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXTINF:4.000000,
seg_00001.m4s
#EXTINF:3.5,last one
seg_00002.m4s
"""


def test_each_variant_uri_belongs_to_its_stream_inf() -> None:
    lines = list(read_playlist(MASTER))
    variants = [(line.uri, owner.attributes) for line in lines if (owner := line.owner(STREAM_INF))]
    assert [uri for uri, _ in variants] == ["v360p/index.m3u8", "v720p/index.m3u8"]
    assert variants[0][1]["CODECS"] == "avc1.64001e,mp4a.40.2", "a quoted comma stays inside"
    assert variants[1][1]["RESOLUTION"] == "1280x720"
    media = next(line for line in lines if line.tag == MEDIA)
    assert media.uri == "a128k/index.m3u8" and media.attributes["NAME"] == "a, b"
    assert "\n".join(line.text for line in lines) + "\n" == MASTER, "lines come back as written"


def test_segments_carry_their_durations_and_uris_are_rewritten_in_place() -> None:
    lines = list(read_playlist(MEDIA_PLAYLIST))
    segments = [(line.uri, owner.duration_s) for line in lines if (owner := line.owner(EXTINF))]
    assert segments == [("seg_00001.m4s", 4.0), ("seg_00002.m4s", 3.5)]
    init = next(line for line in lines if line.tag == MAP)
    assert init.uri == "init.mp4"
    assert init.with_uri("http://e/init.mp4?t=x") == (
        '#EXT-X-MAP:URI="http://e/init.mp4?t=x",BYTERANGE="720@0"'
    )
    assert lines[3].with_uri("http://e/seg.m4s") == "http://e/seg.m4s"


def test_a_uri_without_its_tag_has_no_owner() -> None:
    stray = [line for line in read_playlist("#EXTM3U\nseg.m4s\n") if line.uri_line]
    assert stray[0].owner(EXTINF) is None and stray[0].parent is None
