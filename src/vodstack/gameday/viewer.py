"""One synthetic viewer: browse, start a title, watch a while (heartbeats, QoE events), stop.

It drives the headless player (player.headless) unchanged, so it fetches real segments from the
real edges and fails over as a browser would. That player is synchronous (httpx.Client, and it
sleeps to pace playback in real time), so each viewer runs on its own thread while the game day's
asyncio loop runs the chaos, the scraping and the progress line; the threads sleep most of the
time (a playing viewer idles while its 30 s buffer is full).

Each viewer connects from its own loopback address (127.0.x.y), as households do from their own
addresses, so the gateway's per-address sign-in limits treat them as separate clients.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from vodstack.contracts.catalog import Availability, TitlePage
from vodstack.core.chaos import GROUP_HEADER
from vodstack.gameday.plan import GamedayPlan
from vodstack.gameday.record import Recorder, SessionSample, StartSample, TimedTransport
from vodstack.player.headless.failover import PlaybackFailed
from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.headless.playlists import PlaylistError
from vodstack.player.headless.report import SegmentRecord

TIMEOUT_S = 10.0


def loopback_address(viewer: int) -> str:
    """A distinct 127.0.x.y source address per viewer (x >= 1: 127.0.0.1 stays the tools')."""
    return f"127.0.{1 + viewer // 250}.{1 + viewer % 250}"


class _Enough(Exception):
    """Raised from the player's segment hook to end a play early (the player then stops it)."""


@dataclass(frozen=True)
class ViewerAccount:
    email: str
    password: str


class Viewer:
    def __init__(
        self,
        index: int,
        account: ViewerAccount,
        plan: GamedayPlan,
        gateway_url: str,
        recorder: Recorder,
        edge_regions: dict[str, str],
        group_mark: str | None,
        stop: threading.Event,
    ) -> None:
        self.index = index
        self.group = plan.group_of(index)
        self.region = plan.region_of(self.group)
        self._account = account
        self._plan = plan
        self._recorder = recorder
        self._edge_regions = edge_regions
        self._stop = stop
        # Pairs (control 2k, experiment 2k+1) make the same draws: only the chaos differs.
        self._rng = random.Random(plan.seed * 100_003 + index // 2)  # noqa: S311 (a simulation)
        address = loopback_address(index)
        headers = {GROUP_HEADER: group_mark} if group_mark else {}
        self._http = httpx.Client(
            base_url=gateway_url,
            timeout=TIMEOUT_S,
            headers=headers,
            transport=self._transport(address),
        )
        self._media = httpx.Client(timeout=TIMEOUT_S, transport=self._transport(address))
        self.session = GatewaySession(gateway_url, client=self._http)
        self.problems: list[str] = []

    def _transport(self, address: str) -> httpx.BaseTransport:
        inner = httpx.HTTPTransport(local_address=address, retries=0)
        return TimedTransport(inner, self._recorder, self.group)

    def close(self) -> None:
        self._http.close()
        self._media.close()

    def sign_in(self) -> None:
        self.session.log_in(self._account.email, self._account.password)
        self.session.choose_profile()

    def run(self, until_s: float) -> None:
        """Browse, play, stop, again, until the game day's clock reaches `until_s`."""
        while not self._stop.is_set() and self._recorder.now() < until_s:
            title = self._browse()
            if title is not None:
                self._play(title, until_s)
            self._stop.wait(self._rng.uniform(*self._plan.think_s))

    def _browse(self) -> int | None:
        """The home rows (titles, newest first) and one title's page: what a viewer opens."""
        try:
            params = {"limit": 40, "sort": "new"}
            page = TitlePage.model_validate_json(
                self.session.get("/api/titles", params=params).content
            )
            playable = [t.id for t in page.items if t.availability is Availability.AVAILABLE]
            if not playable:
                self.problems.append("browse: nothing playable")
                return None
            title = self._rng.choice(sorted(playable))
            self.session.get(f"/api/titles/{title}")
            return title
        except (GatewayError, httpx.HTTPError) as exc:
            self.problems.append(f"browse: {exc}")
            return None

    def _play(self, title: int, until_s: float) -> None:
        watch_s = self._rng.uniform(*self._plan.watch_s)
        pressed = self._recorder.now()
        first: list[float] = []
        segments: list[SegmentRecord] = []

        def on_segment(record: SegmentRecord) -> None:
            segments.append(record)
            now = self._recorder.now()
            if not first:
                first.append(now)
                region = self._edge_regions.get(urlsplit(record.edge).netloc, "")
                self._recorder.start(
                    StartSample(pressed, self.group, self.index, True, now - pressed, region)
                )
            if now - first[0] >= watch_s or now >= until_s or self._stop.is_set():
                raise _Enough

        options = PlayOptions(region=self.region, speed=1.0, on_segment=on_segment)
        player = HeadlessPlayer(self.session, options, media_client=self._media)
        error, edge_switches = "", 0
        try:
            report = player.play(title)
            edge_switches = report.edge_switches
        except _Enough:
            pass
        except (GatewayError, PlaybackFailed, PlaylistError, httpx.HTTPError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if not first:
            self._recorder.start(
                StartSample(
                    pressed, self.group, self.index, False, 0.0, error=error or "no segment"
                )
            )
            return
        stalled = sum(s.rebuffer_s for s in segments)
        self._recorder.session(
            SessionSample(
                started_at=first[0],
                ended_at=self._recorder.now(),
                group=self.group,
                viewer=self.index,
                played_s=max(0.0, self._recorder.now() - first[0] - stalled),
                rebuffers=sum(1 for s in segments if s.rebuffer_s > 0),
                rebuffer_s=stalled,
                # The report's count when the play ran to its end; else the segments tell.
                edge_switches=edge_switches or _switches(segments),
                failed=bool(error),
                error=error,
            )
        )


def _switches(segments: list[SegmentRecord]) -> int:
    return sum(1 for a, b in itertools.pairwise(segments) if a.edge != b.edge)


def sign_in_all(viewers: list[Viewer], at_once: int = 2, attempts: int = 8) -> list[str]:
    """Sign every viewer in, `at_once` at a time, patiently; returns the failures.

    Each sign-in is an argon2 verification in the accounts service (CPU-bound, ~0.1 s on a quiet
    core): fifty at once on a small machine time out, the player retries them, and the retries
    then meet the gateway's per-address sign-in limit; on a machine at load 40 even a few at once
    take over 2 s each, which the accounts breaker counts as slow calls and opens on. So: two at
    a time, as viewers arriving, and waiting out an open breaker.
    """
    failures: list[str] = []
    gate = threading.Semaphore(at_once)

    def one(viewer: Viewer) -> None:
        with gate:
            for attempt in range(attempts):
                try:
                    viewer.sign_in()
                    return
                except (GatewayError, httpx.HTTPError) as exc:
                    if attempt == attempts - 1:
                        failures.append(f"viewer {viewer.index}: {exc}")
                    wait = exc.retry_after if isinstance(exc, GatewayError) else None
                    time.sleep(wait or 5.0)

    threads = [threading.Thread(target=one, args=(v,), daemon=True) for v in viewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
