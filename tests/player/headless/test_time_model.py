"""The player's time model: the trace as a token bucket, the buffer and its stalls."""

from __future__ import annotations

import pytest

from vodstack.player.headless.buffer import PlaybackBuffer
from vodstack.player.headless.playlists import parse_master, parse_media
from vodstack.player.headless.throttle import TraceThrottle
from vodstack.player.traces import NetworkTrace

# 8 Mbps for the first 10 s, then 0.8 Mbps until 20 s, then it wraps.
TRACE = NetworkTrace("t", (0.0, 10.0, 20.0), (0.0, 8.0, 0.8))


def test_a_read_within_one_interval_takes_size_over_rate() -> None:
    throttle = TraceThrottle(TRACE)
    assert throttle.transfer_s(1_000_000, 0.0) == pytest.approx(1.0)  # 1 MB at 1 MB/s


def test_a_read_spanning_intervals_slows_down_at_the_boundary() -> None:
    throttle = TraceThrottle(TRACE)
    # 9.5 s..10 s at 1 MB/s delivers 0.5 MB, the other 0.5 MB at 0.1 MB/s takes 5 s.
    assert throttle.transfer_s(1_000_000, 9.5) == pytest.approx(5.5)


def test_the_trace_wraps_around() -> None:
    throttle = TraceThrottle(TRACE)
    assert throttle.transfer_s(1_000_000, 20.0) == pytest.approx(1.0)
    assert throttle.transfer_s(1_000_000, 40.0) == pytest.approx(1.0)


def test_buffer_stalls_only_once_playing() -> None:
    buffer = PlaybackBuffer(max_level_s=30.0)
    assert buffer.elapse(3.0) == 0.0  # start-up wait is not a rebuffer
    buffer.append(4.0)
    assert buffer.elapse(1.0) == 0.0
    assert buffer.elapse(5.0) == pytest.approx(2.0)
    assert (buffer.rebuffer_count, buffer.rebuffer_s, buffer.played_s) == (1, 2.0, 4.0)


def test_buffer_asks_to_idle_above_its_goal() -> None:
    buffer = PlaybackBuffer(max_level_s=8.0)
    for _ in range(3):
        buffer.append(4.0)
    assert buffer.idle_needed_s() == pytest.approx(4.0)
    assert buffer.drain() == pytest.approx(12.0)


def test_playlists_resolve_against_their_own_url() -> None:
    master = parse_master(
        "#EXTM3U\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",DEFAULT=YES,URI="a128k/index.m3u8"\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=900,RESOLUTION=1280x720\nv720p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=300,RESOLUTION=640x360\nv360p/index.m3u8\n",
        "http://gw/api/playback/s1/master.m3u8",
    )
    assert [v.name for v in master.variants] == ["v360p", "v720p"]
    assert master.audio_url == "http://gw/api/playback/s1/a128k/index.m3u8"
    media = parse_media(
        '#EXTM3U\n#EXT-X-MAP:URI="http://e/v/1/a/v360p/init.mp4?t=x"\n'
        "#EXTINF:4.0,\nhttp://e/v/1/a/v360p/seg_00001.m4s?t=x\n#EXTINF:2.5,\nseg_00002.m4s\n",
        "http://e/v/1/a/v360p/index.m3u8",
    )
    assert media.init_url == "http://e/v/1/a/v360p/init.mp4?t=x"
    assert media.segments[1].url == "http://e/v/1/a/v360p/seg_00002.m4s"
    assert media.duration_s == pytest.approx(6.5)
