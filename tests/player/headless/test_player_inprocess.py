"""The headless player against the in-process platform, with fake edges it can break mid-play.

Fast and deterministic: the gateway and services run in this process; the edges are an httpx
`MockTransport` serving the published files, which a test can take down between segments.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import PASSWORD, new_email
from tests.support.playback import EDGES, VERSION
from vodstack.contracts.playback import PlaySession
from vodstack.delivery.assets import asset_key, asset_key_prefix, parse_asset_path
from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.player import TICK_S, HeadlessPlayer, PlayOptions
from vodstack.player.headless.progress import Progress, progress_line
from vodstack.player.headless.report import PlaybackReport, SegmentRecord
from vodstack.player.traces import NetworkTrace

SEGMENTS = 6
LADDER = {
    "v360p": (640, 360, 200_000),
    "v720p": (1280, 720, 600_000),
    "v1080p": (1920, 1080, 1_200_000),
}


def publish_playable(root: Path, title_id: int) -> None:
    """A small asset with real files: 6 segments of 4 s per rendition, a tenth of real size."""
    asset = root / asset_key_prefix(title_id, VERSION)
    variants = []
    for name, (width, height, bps) in {**LADDER, "a128k": (0, 0, 64_000)}.items():
        folder = asset / name
        folder.mkdir(parents=True)
        (folder / "init.mp4").write_bytes(f"init {name}".encode())
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            "#EXT-X-TARGETDURATION:4",
            '#EXT-X-MAP:URI="init.mp4"',
        ]
        for n in range(1, SEGMENTS + 1):
            (folder / f"seg_{n:05d}.m4s").write_bytes(bytes([n]) * (bps * 4 // 8 // 10))
            lines += ["#EXTINF:4.000000,", f"seg_{n:05d}.m4s"]
        (folder / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
        if width:
            variants += [
                f'#EXT-X-STREAM-INF:BANDWIDTH={bps},RESOLUTION={width}x{height},AUDIO="aac"',
                f"{name}/index.m3u8",
            ]
    audio = '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="a128k",DEFAULT=YES,URI="a128k/index.m3u8"'
    (asset / "master.m3u8").write_text("\n".join(["#EXTM3U", audio, *variants, ""]))


class FakeEdges:
    """Edges as an httpx transport: serve `/v/...` from the object store unless taken down."""

    def __init__(self, objects: Path) -> None:
        self.objects = objects
        self.down: set[str] = set()
        self.requests: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.requests.append(f"{base}{request.url.path}")
        if base in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if not request.url.params.get("t"):
            return httpx.Response(403)
        _, _, title, version, file = request.url.path.split("/", 4)
        path = self.objects / asset_key(title, version, file)
        if not path.is_file():
            return httpx.Response(404)
        return httpx.Response(200, content=path.read_bytes())


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # Shared by the module's tests: each signs up its own viewer and publishes its own title.
    with inprocess_platform(tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture
def edges(platform: Platform) -> FakeEdges:
    return FakeEdges(platform.objects)


def viewer(
    platform: Platform, plan: str = "premium", kind: type[GatewaySession] = GatewaySession
) -> GatewaySession:
    session = kind("http://testserver", client=platform.client)
    session.post("/api/auth/signup", {"email": new_email(plan), "password": PASSWORD, "plan": plan})
    session.choose_profile()
    return session


def play(
    platform: Platform, edges: FakeEdges, session: GatewaySession, title_id: int, **options: object
) -> PlaybackReport:
    media = httpx.Client(transport=httpx.MockTransport(edges.handle))
    player = HeadlessPlayer(session, PlayOptions(**options), media_client=media)  # type: ignore[arg-type]
    try:
        return player.play(title_id)
    finally:
        player.close()


def test_plays_every_segment_byte_identical_to_origin(platform: Platform, edges: FakeEdges) -> None:
    title_id = platform.title(publisher=publish_playable)
    report = play(platform, edges, viewer(platform), title_id)
    assert [s.index for s in report.segments] == list(range(SEGMENTS))
    assert report.played_s == pytest.approx(SEGMENTS * 4.0)
    assert report.startup_s > 0
    assert report.edges_used == [EDGES[0]]
    assert report.edge_switches == 0
    audio = [f for f in report.files if "/a128k/seg_" in f.path]
    assert len(audio) == SEGMENTS
    for fetched in report.files:
        on_disk = platform.objects / parse_asset_path(fetched.path.encode()).store_key
        assert fetched.sha256 == hashlib.sha256(on_disk.read_bytes()).hexdigest(), fetched.path


def test_edge_dying_mid_play_fails_over_once_and_completes(
    platform: Platform, edges: FakeEdges
) -> None:
    title_id = platform.title(publisher=publish_playable)

    def kill_first_edge(segment: SegmentRecord) -> None:
        if segment.index == 1:
            edges.down.add(EDGES[0])

    report = play(platform, edges, viewer(platform), title_id, on_segment=kill_first_edge)
    assert len(report.segments) == SEGMENTS
    assert report.edge_switches == 1
    assert report.edges_used == EDGES[:2]
    assert {s.edge for s in report.segments[2:]} == {EDGES[1]}


def test_basic_plan_never_fetches_above_720p(platform: Platform, edges: FakeEdges) -> None:
    title_id = platform.title(publisher=publish_playable)
    fast = NetworkTrace("fast", (0.0, 1000.0), (100.0, 100.0))
    report = play(platform, edges, viewer(platform, "basic"), title_id, trace=fast)
    assert report.ladder == ["v360p", "v720p"]
    assert not [f for f in report.files if "/v1080p/" in f.path]


def test_slow_trace_lowers_quality(platform: Platform, edges: FakeEdges) -> None:
    title_id = platform.title(publisher=publish_playable)
    slow = NetworkTrace("slow", (0.0, 1000.0), (0.25, 0.25))
    fast = NetworkTrace("fast", (0.0, 1000.0), (100.0, 100.0))
    session = viewer(platform)
    on_slow = play(platform, edges, session, title_id, trace=slow, resume=False)
    on_fast = play(platform, edges, session, title_id, trace=fast, resume=False)
    assert on_slow.average_bitrate_kbps < on_fast.average_bitrate_kbps
    assert on_slow.session_s > on_fast.session_s


def test_stop_at_the_end_frees_the_basic_stream(platform: Platform, edges: FakeEdges) -> None:
    title_id = platform.title(publisher=publish_playable)
    session = viewer(platform, "basic")
    play(platform, edges, session, title_id)
    again = play(platform, edges, session, title_id)  # one stream allowed: the first ended
    assert again.start_position_s == 0  # completed, so no resume


def test_every_edge_down_is_a_clear_failure_and_frees_the_stream(
    platform: Platform, edges: FakeEdges
) -> None:
    title_id = platform.title(publisher=publish_playable)
    session = viewer(platform, "basic")
    edges.down.update(EDGES)
    with pytest.raises(RuntimeError, match="every edge failed"):
        play(platform, edges, session, title_id)
    edges.down.clear()
    assert play(platform, edges, session, title_id).played_s > 0


def test_unknown_title_is_a_gateway_error(platform: Platform, edges: FakeEdges) -> None:
    with pytest.raises(GatewayError) as caught:
        play(platform, edges, viewer(platform), 9999)
    assert caught.value.status == 404


def test_progress_follows_the_playhead_rendition_buffer_and_edge(
    platform: Platform, edges: FakeEdges
) -> None:
    title_id = platform.title(publisher=publish_playable)
    seen: list[Progress] = []
    report = play(platform, edges, viewer(platform), title_id, on_progress=seen.append)
    assert len(seen) == len(report.segments)
    assert [p.rendition for p in seen] == [s.rendition for s in report.segments]
    assert [p.buffer_s for p in seen] == pytest.approx([s.buffer_s for s in report.segments])
    assert all(p.duration_s == pytest.approx(SEGMENTS * 4.0) for p in seen)
    assert all(p.edge == EDGES[0] for p in seen), "no X-Served-By here: the edge's URL"
    assert [p.position_s for p in seen] == sorted(p.position_s for p in seen)
    line = progress_line(seen[-1])
    assert line.startswith("0:") and f"/ 0:{int(SEGMENTS * 4):02d}  " in line
    assert f"  edge {EDGES[0]}" in line


class HeartbeatLog(GatewaySession):
    """The real gateway session, noting the position of every heartbeat it sends."""

    positions: list[float]

    def heartbeat(self, session_id: str, position_s: float, rendition: str | None) -> PlaySession:
        self.positions = [*getattr(self, "positions", []), position_s]
        return super().heartbeat(session_id, position_s, rendition)


def test_the_tail_plays_out_with_heartbeats_and_a_moving_progress_line(
    platform: Platform, edges: FakeEdges
) -> None:
    """The whole title fits the 30 s buffer, so every download happens at once and the rest
    is the tail playing out: heartbeats stay due on time through it (in real time, 30 s of
    silence would outlast the stream timeout), and with ticks the progress line moves."""
    title_id = platform.title(publisher=publish_playable)
    session = viewer(platform, kind=HeartbeatLog)
    assert isinstance(session, HeartbeatLog)
    seen: list[Progress] = []
    report = play(platform, edges, session, title_id, on_progress=seen.append, progress_ticks=True)
    interval = platform.settings.playback.heartbeat_interval_s
    assert interval < SEGMENTS * 4.0 / 2, "the tail must span two heartbeats"
    assert session.positions == pytest.approx([interval, 2 * interval], abs=TICK_S)
    ticks = seen[len(report.segments) :]
    # A tick per second of the tail (the downloads' own wall time already played a little).
    positions = [seen[len(report.segments) - 1].position_s, *(p.position_s for p in ticks)]
    steps = [later - earlier for earlier, later in itertools.pairwise(positions)]
    assert len(steps) >= SEGMENTS * 4.0 / TICK_S - 1
    assert all(0 < step <= TICK_S + 1e-9 for step in steps)
    assert ticks[-1].position_s == pytest.approx(SEGMENTS * 4.0)
    assert ticks[-1].buffer_s == pytest.approx(0.0) and report.rebuffer_count == 0
