"""The headless player: plays a title through the real gateway and edges like a browser does.

    press play (POST start) -> master playlist -> media playlists -> for each segment:
    ABR decision -> init (on a rendition change) + video + audio segment from the current edge
    (next edge on failure) -> buffer model -> heartbeat when due -> stop at the end

Time is session time: wall-clock for the API calls before the first segment, then each download
takes the longer of its real transfer and what the bandwidth trace allows, while the buffer
drains. Without `speed` nothing waits for the clock (a 10-minute title plays in seconds: tests,
load, `vodstack play --fast`); with `speed=S` the player sleeps so session time runs S times
faster than the wall clock (`vodstack play` plays at 1, real time, by default).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from vodstack.contracts.playback import PlaybackStart
from vodstack.player.abr import registry
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.headless.buffer import PlaybackBuffer
from vodstack.player.headless.clock import SessionClock
from vodstack.player.headless.events import EventReporter
from vodstack.player.headless.failover import EdgeFailover, Fetched
from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.playlists import (
    MasterPlaylist,
    MediaPlaylist,
    parse_master,
    parse_media,
)
from vodstack.player.headless.progress import Progress
from vodstack.player.headless.report import FetchedFile, PlaybackReport, SegmentRecord
from vodstack.player.headless.throttle import TraceThrottle
from vodstack.player.traces import NetworkTrace

SegmentHook = Callable[[SegmentRecord], None]
ProgressHook = Callable[[Progress], None]
#: Session time passes in steps of at most this while the player waits without downloading.
TICK_S = 1.0


@dataclass(frozen=True)
class PlayOptions:
    #: None: what the platform chose in the start answer (an A/B experiment's cell), else the
    #: default algorithm.
    abr: str | None = None
    region: str | None = None
    trace: NetworkTrace | None = None
    #: None: simulated time, never wait; S: session time runs S times faster than real time.
    speed: float | None = None
    max_buffer_s: float = 30.0
    #: Start where the profile stopped last time (as the web player does).
    resume: bool = True
    timeout_s: float = 10.0
    #: Called after every segment (tests use it to break things mid-play).
    on_segment: SegmentHook | None = None
    #: Called after every segment with the live state (`vodstack play` prints it).
    on_progress: ProgressHook | None = None
    #: Also call `on_progress` every second of session time while the player waits (a full
    #: buffer, the tail playing out): a terminal's live line. Off: once per segment (a log).
    progress_ticks: bool = False
    #: Report QoE events and heartbeats to `/api/events` (player/headless/events.py).
    send_events: bool = True


@dataclass(frozen=True)
class Stream:
    """A started session with its playlists loaded."""

    start: PlaybackStart
    master: MasterPlaylist
    video: tuple[MediaPlaylist, ...]
    audio: MediaPlaylist | None

    @property
    def segment_count(self) -> int:
        counts = [len(p.segments) for p in self.video]
        if self.audio is not None:
            counts.append(len(self.audio.segments))
        return min(counts)


@dataclass
class _Tally:
    files: list[FetchedFile] = field(default_factory=list)
    segments: list[SegmentRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    startup_s: float | None = None


class HeadlessPlayer:
    def __init__(
        self,
        gateway: GatewaySession,
        options: PlayOptions | None = None,
        media_client: httpx.Client | None = None,
    ) -> None:
        self._gateway = gateway
        self._options = options or PlayOptions()
        self._media = media_client or httpx.Client(timeout=self._options.timeout_s)
        # Outlives one play: events a down service could not take are sent with the next ones.
        self.events = EventReporter(gateway) if self._options.send_events else None

    def close(self) -> None:
        self._media.close()

    def play(self, title_id: int) -> PlaybackReport:
        """Play the title to its end; the stream is stopped whatever happens."""
        clock = SessionClock(self._options.speed)
        retried = len(self._gateway.retries)
        start = self._gateway.start(title_id, self._options.region)
        run: _Run | None = None
        try:
            stream = self._load(start)
            edges = EdgeFailover(start.edges, self._media)
            run = _Run(self._gateway, self._options, stream, edges, clock, self.events)
            report = run.play()
        except BaseException:
            position = run.position_s if run is not None else start.resume_position_s
            if run is not None:
                run.report_stop(completed=False)
            self._stop_quietly(start.play_session_id, position)
            raise
        # The stop event first: it is what the history service resumes from (or, completed,
        # clears the resume point with), so it must not wait on the playback service's stop.
        run.report_stop(completed=True)
        self._gateway.stop(start.play_session_id, report.start_position_s + report.played_s, True)
        # Calls that rode out an outage (start, stop) belong in the report with the rest.
        errors = [*report.errors, *self._gateway.retries[retried:]]
        return report.model_copy(update={"errors": errors})

    def _load(self, start: PlaybackStart) -> Stream:
        master_url = self._gateway.url(start.hls_url)
        master = parse_master(self._text(master_url), master_url)
        video = tuple(parse_media(self._text(v.url), v.url) for v in master.variants)
        audio = None
        if master.audio_url is not None:
            audio = parse_media(self._text(master.audio_url), master.audio_url)
        return Stream(start, master, video, audio)

    def _text(self, url: str) -> str:
        # Playlists are part of starting: a gateway restarting between the start and them
        # must not fail the start (GETs, safe to repeat).
        return self._gateway.resilient("load the playlists", lambda: self._gateway.text(url))

    def _stop_quietly(self, session_id: str, position_s: float) -> None:
        # The original error matters more; a stream that fails to stop times out on its own.
        # No retries here: the caller is already failing, and should fail promptly.
        with contextlib.suppress(GatewayError, httpx.HTTPError):
            self._gateway.stop(session_id, position_s, False, retry=False)


class _Run:
    """One playback's moving parts: buffer, ABR, failover, clock, heartbeats."""

    def __init__(
        self,
        gateway: GatewaySession,
        options: PlayOptions,
        stream: Stream,
        edges: EdgeFailover,
        clock: SessionClock,
        events: EventReporter | None = None,
    ) -> None:
        self._gateway = gateway
        self.events = events
        self._last: SegmentRecord | None = None
        #: (rendition, edge) of the last segment: what the progress line shows.
        self._shown: tuple[str, str] | None = None
        self._options = options
        self._stream = stream
        self._edges = edges
        self._clock = clock
        self.abr_name = choose_algorithm(options.abr, stream.start.abr)
        self._abr: AbrAlgorithm = registry.create(self.abr_name)
        self._throttle = TraceThrottle(options.trace) if options.trace else None
        self._buffer = PlaybackBuffer(max_level_s=options.max_buffer_s)
        self._tally = _Tally()
        self._ladder = tuple(max(1, v.bandwidth_bps // 1000) for v in stream.master.variants)
        self._first = self._first_segment()
        self._next_heartbeat_s = stream.start.heartbeat_interval_s

    @property
    def position_s(self) -> float:
        return self._start_position_s + self._buffer.played_s

    @property
    def _start_position_s(self) -> float:
        return sum(s.duration_s for s in self._stream.video[0].segments[: self._first])

    def _first_segment(self) -> int:
        if not self._options.resume:
            return 0
        elapsed = 0.0
        for index, segment in enumerate(self._stream.video[0].segments):
            if elapsed + segment.duration_s > self._stream.start.resume_position_s:
                return min(index, self._stream.segment_count - 1)
            elapsed += segment.duration_s
        return 0

    def play(self) -> PlaybackReport:
        self._clock.catch_up()
        last = 0
        loaded_init: int | None = None
        for index in range(self._first, self._stream.segment_count):
            rendition = self._decide(index, last)
            self._play_segment(index, rendition, with_init=rendition != loaded_init)
            loaded_init, last = rendition, rendition
        self._pass(self._buffer.level_s)  # the tail plays out
        return self._report()

    def _decide(self, index: int, last: int) -> int:
        context = DecisionContext(
            chunk_index=index,
            chunk_count=self._stream.segment_count,
            buffer_s=self._buffer.level_s,
            last_rendition=last,
            ladder_kbps=self._ladder,
            chunk_duration_s=self._stream.video[0].segments[index].duration_s,
        )
        return max(0, min(len(self._ladder) - 1, self._abr.decide(context)))

    def _urls(self, index: int, rendition: int, with_init: bool) -> list[str]:
        playlist = self._stream.video[rendition]
        urls = [playlist.init_url] if with_init and playlist.init_url else []
        audio = self._stream.audio
        if audio is not None and audio.init_url and index == self._first:
            urls.append(audio.init_url)
        urls.append(playlist.segments[index].url)
        if audio is not None:
            urls.append(audio.segments[index].url)
        return urls

    def _play_segment(self, index: int, rendition: int, *, with_init: bool) -> None:
        fetched = [self._fetch(url) for url in self._urls(index, rendition, with_init)]
        size = sum(len(f.body) for f in fetched)
        wall = sum(f.wall_s for f in fetched)
        download_s = wall
        if self._throttle is not None:
            download_s = max(wall, self._throttle.transfer_s(size, self._clock.now_s))
        stall = self._buffer.elapse(download_s)
        self._clock.advance(download_s)
        duration = self._stream.video[rendition].segments[index].duration_s
        self._buffer.append(duration)
        if self._tally.startup_s is None:
            self._tally.startup_s = self._clock.now_s
        self._abr.observe(
            ChunkObservation(index, rendition, size, download_s, self._buffer.level_s, 0.0, stall)
        )
        record = SegmentRecord(
            index=index,
            rendition=self._stream.master.variants[rendition].name,
            rendition_index=rendition,
            size_bytes=size,
            download_s=download_s,
            buffer_s=self._buffer.level_s,
            rebuffer_s=stall,
            edge=fetched[-1].edge,
        )
        self._tally.segments.append(record)
        self._report_events(record, stall)
        self._shown = (record.rendition, fetched[-1].served_by or fetched[-1].edge)
        self._show()
        self._idle()
        self._heartbeat_if_due(record.rendition)
        if self._options.on_segment is not None:
            self._options.on_segment(record)

    def _show(self) -> None:
        if self._options.on_progress is None or self._shown is None:
            return
        rendition, edge = self._shown
        progress = Progress(
            position_s=self.position_s,
            duration_s=sum(s.duration_s for s in self._stream.video[0].segments),
            rendition=rendition,
            buffer_s=self._buffer.level_s,
            edge=edge,
            rebuffers=self._buffer.rebuffer_count,
        )
        self._options.on_progress(progress)

    def _fetch(self, url: str) -> Fetched:
        fetched = self._edges.fetch(url)
        digest = hashlib.sha256(fetched.body).hexdigest()
        path = urlsplit(url).path
        self._tally.files.append(
            FetchedFile(path=path, edge=fetched.edge, size_bytes=len(fetched.body), sha256=digest)
        )
        return fetched

    def _idle(self) -> None:
        self._pass(self._buffer.idle_needed_s())

    def _pass(self, seconds: float) -> None:
        """Let `seconds` of session time go by without a download (a full buffer, or the tail
        playing out), a tick at a time: heartbeats go out when due (in real time a 30 s tail
        in silence outlasts the stream timeout, and the session would end before its stop),
        and a terminal's progress line keeps moving."""
        while seconds > 0:
            # The tail passes exactly `level_s`: the same subtractions on both keep them equal,
            # so the last tick empties the buffer without a spurious stall.
            step = min(TICK_S, seconds)
            self._buffer.elapse(step)
            self._clock.advance(step)
            seconds -= step
            if self._options.progress_ticks:
                self._show()
            if self._shown is not None:
                self._heartbeat_if_due(self._shown[0])

    def _heartbeat_if_due(self, rendition: str) -> None:
        if self._clock.now_s < self._next_heartbeat_s:
            return
        interval = self._stream.start.heartbeat_interval_s
        while self._next_heartbeat_s <= self._clock.now_s:
            self._next_heartbeat_s += interval
        if self.events is not None:
            self.events.record("heartbeat", **self.event_fields())
            self.events.flush()
        try:
            self._gateway.heartbeat(self._stream.start.play_session_id, self.position_s, rendition)
        except (GatewayError, httpx.TransportError) as exc:
            # The segments still play (the token outlives the session); record, carry on. A
            # gateway that is down or restarting is no reason to stop the picture either.
            self._tally.errors.append(f"heartbeat: {exc}")

    def report_stop(self, *, completed: bool) -> None:
        """The stop event (position, completion) to the events service; never raises."""
        if self.events is not None:
            self.events.record("stop", **self.event_fields(), completed=completed)
            self.events.flush()

    def event_fields(self) -> dict[str, Any]:
        """What every event says about this playback right now (contracts.events)."""
        last = self._last
        fields: dict[str, Any] = {
            "session_id": self._stream.start.play_session_id,
            "title_id": self._stream.start.title_id,
            "position_s": self.position_s,
            "duration_s": sum(s.duration_s for s in self._stream.video[0].segments) or None,
            "buffer_s": self._buffer.level_s,
            "abr": self.abr_name,
        }
        if last is not None:
            fields["rendition"] = last.rendition
            fields["edge"] = _edge_name(last.edge)
            if last.download_s > 0:
                fields["bandwidth_kbps"] = last.size_bytes * 8 / last.download_s / 1000
        return fields

    def _report_events(self, record: SegmentRecord, stall_s: float) -> None:
        """QoE events for one played segment: start, rebuffers, rendition and edge switches."""
        previous, self._last = self._last, record
        if self.events is None:
            return
        fields = self.event_fields()
        if previous is None:
            self.events.record("play_start", **fields, startup_ms=self._clock.now_s * 1000)
            return
        if stall_s > 0:
            self.events.record("rebuffer_start", **fields)
            self.events.record("rebuffer_end", **fields, stall_ms=stall_s * 1000)
        if record.rendition != previous.rendition:
            switch = {"from_rendition": previous.rendition, "to_rendition": record.rendition}
            self.events.record("rendition_switch", **fields, **switch)
        if record.edge != previous.edge:
            edges = {"from_edge": _edge_name(previous.edge), "to_edge": _edge_name(record.edge)}
            self.events.record("edge_switch", **fields, **edges)

    def _report(self) -> PlaybackReport:
        segments = self._tally.segments
        played = self._buffer.played_s
        weighted = sum(
            self._ladder[s.rendition_index]
            * self._stream.video[s.rendition_index].segments[s.index].duration_s
            for s in segments
        )
        start = self._stream.start
        return PlaybackReport(
            title_id=start.title_id,
            title_name=start.title_name,
            play_session_id=start.play_session_id,
            abr=self.abr_name,
            max_height=start.max_height,
            ladder=[v.name for v in self._stream.master.variants],
            start_position_s=self._start_position_s,
            startup_s=self._tally.startup_s or 0.0,
            played_s=played,
            session_s=self._clock.now_s,
            average_bitrate_kbps=weighted / played if played else 0.0,
            downloaded_bytes=sum(f.size_bytes for f in self._tally.files),
            rebuffer_count=self._buffer.rebuffer_count,
            rebuffer_s=self._buffer.rebuffer_s,
            quality_switches=_switches([s.rendition_index for s in segments]),
            edge_switches=self._edges.switches,
            edges_used=self._edges.edges_used,
            errors=[*self._edges.errors, *self._tally.errors],
            segments=segments,
            files=self._tally.files,
        )


def _edge_name(edge: str) -> str:
    """An edge URL as an event's name field (`host-port`)."""
    return (urlsplit(edge).netloc or edge).replace(":", "-")[:64]


def _switches(renditions: list[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(renditions) if a != b)


__all__ = ["HeadlessPlayer", "PlayOptions", "Stream"]


def choose_algorithm(asked: str | None, platform_choice: str | None) -> str:
    """The user's choice, else the platform's when this player knows it, else the default."""
    if asked is not None:
        return asked
    if platform_choice in registry.names():
        return str(platform_choice)
    return registry.DEFAULT_ALGORITHM
