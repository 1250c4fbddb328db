"""The playback service's rules: entitlement, stream limits, heartbeats, resume, manifests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.clock import FakeClock
from tests.support.playback import (
    EDGES,
    SECRET_KEY,
    TIMEOUT_S,
    VERSION,
    FakeCatalog,
    FakeHistory,
)
from vodstack.config.settings import PlaybackSettings
from vodstack.contracts.common import Maturity
from vodstack.contracts.playback import EndReason, PlaybackRequest, PlaybackStart
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.core.errors import Conflict, Forbidden, NotFound
from vodstack.delivery.tokens import TokenCheck, TokenSigner
from vodstack.services.playback.app import migrate
from vodstack.services.playback.assets import AssetFiles
from vodstack.services.playback.edges import FixedEdges
from vodstack.services.playback.repository import NewSession, SessionStore, StreamLimitReached
from vodstack.services.playback.service import Collaborators, PlaybackService
from vodstack.storage import LocalObjectStore

ACCOUNT = 7
BASIC = {"max_height": 720, "max_streams": 1}
PREMIUM = {"max_height": 2160, "max_streams": 4}


def request(
    title_id: int = 1,
    *,
    plan: dict[str, int] = PREMIUM,
    maturity: Maturity = Maturity.ADULT,
    account_id: int = ACCOUNT,
    profile_id: int = 11,
) -> PlaybackRequest:
    return PlaybackRequest(
        account_id=account_id,
        profile_id=profile_id,
        maturity=maturity,
        title_id=title_id,
        region="eu",
        **plan,
    )


def start(service: PlaybackService, body: PlaybackRequest) -> PlaybackStart:
    return asyncio.run(service.start(body))


def error_code(service: PlaybackService, body: PlaybackRequest) -> str:
    with pytest.raises((Conflict, NotFound)) as caught:
        start(service, body)
    assert isinstance(caught.value, Conflict | NotFound)
    return caught.value.code


# -- entitlement -----------------------------------------------------------------------------


def test_start_hands_out_ranked_edges_and_a_token_edges_accept(
    service: PlaybackService,
) -> None:
    answer = start(service, request())
    assert answer.edges == EDGES
    assert answer.asset_version == VERSION
    assert answer.asset_path == f"/v/1/{VERSION}/"
    assert answer.hls_url == f"/api/playback/{answer.play_session_id}/master.m3u8"
    assert answer.dash_url.endswith("/manifest.mpd")
    check = TokenSigner(SECRET_KEY).verify(answer.asset_path.encode(), answer.token.encode())
    assert check is TokenCheck.OK
    other_version = TokenSigner(SECRET_KEY).verify(b"/v/1/other/", answer.token.encode())
    assert other_version is TokenCheck.BAD_SIGNATURE


def test_kids_profile_cannot_start_an_adult_title(service: PlaybackService) -> None:
    assert error_code(service, request(2, maturity=Maturity.KIDS)) == "title_not_found"


def test_a_title_still_processing_is_not_playable(service: PlaybackService) -> None:
    assert error_code(service, request(3)) == "not_playable"


def test_unknown_title_is_not_found(service: PlaybackService) -> None:
    assert error_code(service, request(99)) == "title_not_found"


# -- the plan's maximum resolution -----------------------------------------------------------


def test_basic_master_playlist_stops_at_720p(service: PlaybackService) -> None:
    answer = start(service, request(plan=BASIC))
    master = service.master_playlist(answer.play_session_id, ACCOUNT)
    assert "v720p/index.m3u8" in master
    assert "1080" not in master
    assert "1920x1080" not in service.mpd(answer.play_session_id, ACCOUNT)
    with pytest.raises(Forbidden) as refused:
        service.media_playlist(answer.play_session_id, ACCOUNT, "v1080p/index.m3u8")
    assert refused.value.code == "above_plan"
    with pytest.raises(NotFound):
        service.media_playlist(answer.play_session_id, ACCOUNT, "v999p/index.m3u8")


def test_premium_gets_1080p_media_playlist_signed_on_the_first_edge(
    service: PlaybackService,
) -> None:
    answer = start(service, request())
    playlist = service.media_playlist(answer.play_session_id, ACCOUNT, "v1080p/index.m3u8")
    expected = f"{EDGES[0]}/v/1/{VERSION}/v1080p/seg_00001.m4s?t={answer.token}"
    assert expected in playlist.splitlines()


def test_manifests_of_another_account_do_not_exist(service: PlaybackService) -> None:
    answer = start(service, request())
    with pytest.raises(NotFound):
        service.master_playlist(answer.play_session_id, ACCOUNT + 1)


# -- concurrent streams ----------------------------------------------------------------------


def test_second_stream_on_basic_is_refused_with_a_clear_message(
    service: PlaybackService,
) -> None:
    start(service, request(plan=BASIC))
    with pytest.raises(Conflict) as caught:
        start(service, request(4, plan=BASIC, profile_id=12))
    assert caught.value.code == "stream_limit"
    assert "allows 1 stream at a time" in caught.value.message


def test_other_accounts_do_not_share_the_limit(service: PlaybackService) -> None:
    start(service, request(plan=BASIC))
    start(service, request(plan=BASIC, account_id=ACCOUNT + 1))


def test_stop_frees_the_slot(service: PlaybackService) -> None:
    first = start(service, request(plan=BASIC))
    service.stop(first.play_session_id, ACCOUNT, 42.0, completed=False)
    start(service, request(plan=BASIC))


def test_silent_stream_stops_counting_after_the_timeout(
    service: PlaybackService, clock: FakeClock
) -> None:
    first = start(service, request(plan=BASIC))
    clock.advance(TIMEOUT_S - 1)
    service.heartbeat(first.play_session_id, ACCOUNT, 20.0, "v720p")
    clock.advance(TIMEOUT_S - 1)
    assert error_code(service, request(plan=BASIC)) == "stream_limit"  # heartbeats kept it alive
    clock.advance(2)
    start(service, request(plan=BASIC))  # now it timed out
    with pytest.raises(Conflict) as caught:
        service.heartbeat(first.play_session_id, ACCOUNT, 30.0, None)
    assert caught.value.code == "session_ended"
    ended = service.session(first.play_session_id, ACCOUNT)
    assert ended.end_reason is EndReason.TIMED_OUT
    assert not ended.active


def test_concurrent_starts_never_exceed_the_limit(service: PlaybackService) -> None:
    async def race() -> list[PlaybackStart | BaseException]:
        plan = {"max_height": 720, "max_streams": 2}
        starts = [service.start(request(plan=plan)) for _ in range(8)]
        return await asyncio.gather(*starts, return_exceptions=True)

    results = asyncio.run(race())
    assert sum(isinstance(r, PlaybackStart) for r in results) == 2
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 6
    assert {r.code for r in refused} == {"stream_limit"}


# -- resume ----------------------------------------------------------------------------------


def test_start_resumes_at_the_history_services_point(
    service: PlaybackService, history: FakeHistory
) -> None:
    assert start(service, request()).resume_position_s == 0
    history.record(11, 1, 130.5)
    assert start(service, request()).resume_position_s == 130.5


def test_resume_is_per_profile(service: PlaybackService, history: FakeHistory) -> None:
    history.record(11, 1, 50.0)
    assert start(service, request(profile_id=12)).resume_position_s == 0


def test_a_watched_title_starts_from_the_beginning(
    service: PlaybackService, history: FakeHistory
) -> None:
    history.record(11, 1, 300.0, watched=True)
    assert start(service, request()).resume_position_s == 0


def test_position_near_the_end_counts_as_finished(
    service: PlaybackService, history: FakeHistory
) -> None:
    history.record(11, 1, 595.0)
    assert start(service, request()).resume_position_s == 0


@pytest.mark.parametrize("failure", ["down", "hang"])
def test_start_plays_from_zero_when_history_fails(
    service: PlaybackService, history: FakeHistory, failure: str
) -> None:
    history.record(11, 1, 130.5)
    setattr(history, failure, True)
    answer = start(service, request())
    assert answer.resume_position_s == 0
    assert service.resume_unavailable == 1
    assert service.session(answer.play_session_id, ACCOUNT).active


def test_playback_no_longer_keeps_positions(service: PlaybackService, history: FakeHistory) -> None:
    """Heartbeats and stops move the session only; resume points come from history alone."""
    first = start(service, request())
    service.heartbeat(first.play_session_id, ACCOUNT, 123.0, "v720p")
    stopped = service.stop(first.play_session_id, ACCOUNT, 130.5, completed=False)
    assert stopped.position_s == 130.5
    assert start(service, request()).resume_position_s == 0


def test_an_old_database_with_a_bookmarks_table_still_loads(
    tmp_path: Path, clock: FakeClock
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as db:
        db.exec_driver_sql(
            "CREATE TABLE bookmarks (profile_id INTEGER, title_id INTEGER, position_s FLOAT, "
            "updated_at DATETIME, PRIMARY KEY (profile_id, title_id))"
        )
        db.exec_driver_sql("INSERT INTO bookmarks VALUES (11, 1, 42.0, '2026-01-01')")
    migrate(engine)
    store = SessionStore(make_sessionmaker(engine), timedelta(seconds=TIMEOUT_S), clock)
    assert store.active(ACCOUNT) == []
    engine.dispose()


def test_stop_is_idempotent_and_ends_manifest_access(service: PlaybackService) -> None:
    first = start(service, request())
    once = service.stop(first.play_session_id, ACCOUNT, 10.0, completed=False)
    twice = service.stop(first.play_session_id, ACCOUNT, 99.0, completed=False)
    assert once.ended_at == twice.ended_at
    assert twice.position_s == 10.0
    with pytest.raises(Conflict):
        service.master_playlist(first.play_session_id, ACCOUNT)


def test_two_processes_sharing_the_database_never_exceed_the_limit(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Each store has its own in-process lock (like two instances); the lock row still holds."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    migrate(engine)
    stores = [
        SessionStore(make_sessionmaker(engine), timedelta(seconds=TIMEOUT_S), clock)
        for _ in range(2)
    ]

    def attempt(n: int) -> bool:
        new = NewSession(
            id=f"session-{n:04d}",
            account_id=ACCOUNT,
            profile_id=11,
            title_id=1,
            asset_version=VERSION,
            region=None,
            max_height=720,
            edges=EDGES,
            token_expires_at=clock(),
        )
        try:
            stores[n % 2].open(new, max_streams=3)
        except StreamLimitReached:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    engine.dispose()
    assert sum(outcomes) == 3


# -- cookieless stream URLs (the token in the path) --------------------------------------------


def test_a_stream_urls_token_opens_only_its_own_session_until_it_expires(
    store: SessionStore,
    catalog: FakeCatalog,
    history: FakeHistory,
    objects: LocalObjectStore,
    signer: TokenSigner,
    clock: FakeClock,
) -> None:
    parts = Collaborators(store, catalog, history, AssetFiles(objects), FixedEdges(EDGES), signer)
    # Tokens shorter-lived than a heartbeat's reach, so the token expires while the stream runs.
    settings = PlaybackSettings(stream_timeout_s=TIMEOUT_S, token_ttl_s=int(TIMEOUT_S) + 5)
    service = PlaybackService(parts, settings, clock)
    answer = start(service, request(plan=BASIC))
    assert service.signed_session(answer.token).id == answer.play_session_id
    # Signed with the platform's key for this very asset, but naming another session.
    foreign = signer.sign(answer.asset_path, "another-session-id", 60, max_height=720)
    tampered = answer.token[:-2] + ("AA" if not answer.token.endswith("AA") else "BB")
    for token in (foreign, tampered):
        with pytest.raises(Forbidden) as refused:
            service.signed_session(token)
        assert refused.value.code == "token_bad_signature"
    clock.advance(TIMEOUT_S - 1)
    service.heartbeat(answer.play_session_id, ACCOUNT, 20.0, "v720p")
    clock.advance(10)
    with pytest.raises(Forbidden) as expired:
        service.signed_session(answer.token)
    assert expired.value.code == "token_expired"


# -- keyed starts (issue 15, 9b) ---------------------------------------------------------------


def test_a_keyed_start_repeated_answers_the_same_session_and_takes_one_slot(
    service: PlaybackService, clock: FakeClock
) -> None:
    """A start retried after its answer was lost (an instance killed mid-request) carries the
    same key: it gets the first session back, even on a one-stream plan, with the same token."""
    keyed = request(plan=BASIC).model_copy(update={"idempotency_key": "press-1"})
    first = start(service, keyed)
    clock.advance(3)
    again = start(service, keyed)
    assert again.play_session_id == first.play_session_id
    assert again.token == first.token and again.token_expires_at == first.token_expires_at
    other_press = keyed.model_copy(update={"idempotency_key": "press-2"})
    assert error_code(service, other_press) == "stream_limit", "a new press is a new stream"


def test_the_same_key_from_another_account_is_another_session(service: PlaybackService) -> None:
    mine = start(service, request().model_copy(update={"idempotency_key": "k"}))
    theirs = start(service, request(account_id=8).model_copy(update={"idempotency_key": "k"}))
    assert mine.play_session_id != theirs.play_session_id
