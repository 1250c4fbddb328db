"""Issue 12, point 7: a playback-service outage during the final stop does not lose the play.

The in-process platform (gateway, accounts, catalog, playback as real apps over ASGI) with the
gateway's road to the playback service cut for a while: the gateway then answers 503, exactly
as during a restart of that service. The player retries the stop, and the completion (which
frees a Basic stream and clears the resume point) is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.player.headless.test_player_inprocess import FakeEdges, publish_playable
from tests.services.playback.stack import Platform, RecordingEdges
from tests.support.gateway import PASSWORD, cheap_passwords, make_settings, new_email
from tests.support.service_tokens import authorized
from vodstack.config.resilience import BreakerPolicy, ResilienceSettings, UpstreamPolicy
from vodstack.core.backoff import Backoff
from vodstack.gateway.app import create_app as create_gateway_app
from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.headless.report import PlaybackReport, SegmentRecord
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.playback.app import create_app as create_playback_app

FAST = Backoff(first_s=0.02, max_s=0.1, budget_s=5.0)


class Outage(httpx.AsyncBaseTransport):
    """The gateway's connection to a service: refuses the next `refuse` requests (those whose
    path ends with `only`, when set), then heals."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.refuse = 0
        self.refused = 0
        self.only = ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse > 0 and request.url.path.endswith(self.only):
            self.refuse -= 1
            self.refused += 1
            raise httpx.ConnectError("connection refused (restarting)", request=request)
        return await self.inner.handle_async_request(request)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Outage, Outage]]:
    # These tests are about the player riding out refusals, not the gateway's breakers: one
    # test's long outage would open a breaker that the next test's start then meets (the tests
    # share this module's stack), so the breakers here never decide (more calls than the window).
    never = UpstreamPolicy(breaker=BreakerPolicy(window=20, min_calls=21))
    resilience = ResilienceSettings(upstreams={"accounts": never, "playback": never})
    settings = make_settings(tmp_path_factory.mktemp("outage"), resilience=resilience)
    accounts = create_accounts_app(settings, passwords=cheap_passwords())
    catalog = create_catalog_app(settings)
    playback = create_playback_app(
        settings, edges=RecordingEdges(), catalog_transport=httpx.ASGITransport(app=catalog)
    )
    outage = Outage(httpx.ASGITransport(app=playback))
    accounts_outage = Outage(httpx.ASGITransport(app=accounts))
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "accounts": accounts_outage,
        "catalog": httpx.ASGITransport(app=catalog),
        "playback": outage,
    }
    with (
        TestClient(accounts),
        authorized(TestClient(catalog), settings, "catalog") as catalog_client,
        TestClient(playback),
        TestClient(create_gateway_app(settings, transports=transports)) as client,
    ):
        platform = Platform(
            client,
            catalog_client,
            RecordingEdges(),
            settings.data_dir / "objects",
            settings,
            playback,
        )
        yield platform, outage, accounts_outage


def _basic_viewer(platform: Platform) -> GatewaySession:
    session = GatewaySession("http://testserver", client=platform.client, backoff=FAST)
    body = {"email": new_email("basic"), "password": PASSWORD, "plan": "basic"}
    session.post("/api/auth/signup", body)
    session.choose_profile()
    return session


def _play(
    platform: Platform, session: GatewaySession, title_id: int, **options: object
) -> PlaybackReport:
    media = httpx.Client(transport=httpx.MockTransport(FakeEdges(platform.objects).handle))
    player = HeadlessPlayer(session, PlayOptions(**options), media_client=media)  # type: ignore[arg-type]
    try:
        return player.play(title_id)
    finally:
        player.close()


def _cut_after_last_segment(outage: Outage, refuse: int) -> object:
    def hook(segment: SegmentRecord) -> None:
        if segment.index == 5:  # the last of publish_playable's six: the tail, then the stop
            # Refuse the stop only: the tail's heartbeats are best effort (an error each).
            outage.refuse, outage.only = refuse, "/stop"

    return hook


def test_a_playback_outage_during_the_final_stop_still_records_completion(
    stack: tuple[Platform, Outage, Outage],
) -> None:
    platform, outage, _ = stack
    title_id = platform.title(publisher=publish_playable)
    session = _basic_viewer(platform)
    outage.refused = 0
    report = _play(platform, session, title_id, on_segment=_cut_after_last_segment(outage, 3))

    assert outage.refused == 3, "the gateway's first three stop calls found playback down"
    assert len([e for e in report.errors if e.startswith("stop playback")]) == 3
    # Completion was recorded: Basic's only stream is free again, and there is no resume point.
    again = _play(platform, session, title_id)
    assert again.start_position_s == 0


def test_an_outage_longer_than_the_budget_is_a_clear_error(
    stack: tuple[Platform, Outage, Outage],
) -> None:
    platform, outage, _ = stack
    title_id = platform.title(publisher=publish_playable)
    session = _basic_viewer(platform)
    session.backoff = Backoff(first_s=0.02, max_s=0.1, budget_s=0.5)
    try:
        with pytest.raises(GatewayError, match=r"could not stop playback: .*503.*of retries"):
            _play(platform, session, title_id, on_segment=_cut_after_last_segment(outage, 10**6))
    finally:
        outage.refuse = 0


def test_log_in_and_start_ride_out_an_outage(stack: tuple[Platform, Outage, Outage]) -> None:
    platform, outage, accounts = stack
    title_id = platform.title(publisher=publish_playable)
    email = new_email("premium")
    GatewaySession("http://testserver", client=platform.client).post(
        "/api/auth/signup", {"email": email, "password": PASSWORD, "plan": "premium"}
    )
    platform.client.cookies.clear()
    session = GatewaySession("http://testserver", client=platform.client, backoff=FAST)
    accounts.refuse = 2  # the accounts service is restarting: the gateway answers 503
    session.log_in(email, PASSWORD)
    assert accounts.refused == 2
    assert len([e for e in session.retries if e.startswith("log in")]) == 2
    session.choose_profile()
    # The start carries an Idempotency-Key, so the gateway itself retries it on refused
    # connections (3 attempts): six refusals are two of the player's tries, the third plays.
    outage.refuse, outage.only, before = 6, "", outage.refused
    report = _play(platform, session, title_id)
    assert outage.refused - before == 6
    assert len([e for e in report.errors if e.startswith("start playback")]) == 2
    assert report.played_s > 0
