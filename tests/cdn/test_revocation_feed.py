"""An edge's revocation feed loads a large list from the real playback app, page by page.

The regression this guards (issue 13): with 100,000 revoked sessions the playback service
built an ORM object per row and the whole list in one answer, the edges' polls timed out and
the list never loaded. Counted, not timed: the pages requested, and ORM objects built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, insert

from vodstack.cdn.revocations import RevocationFeed, RevokedSessions
from vodstack.clients.playback import PlaybackClient
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.db import make_engine
from vodstack.core.errors import UpstreamError
from vodstack.services.playback.app import create_app, migrate
from vodstack.services.playback.edges import FixedEdges
from vodstack.services.playback.models import RevocationRow
from vodstack.services.playback.repository import take_revocation_numbers

pytestmark = pytest.mark.anyio

PAGE = 1_000
# Two and a half pages; the first 1,500 share one instant (as after a mass log-out), so pages
# must go on by session id within an instant.
COUNT = 2_500


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)


def _seed(settings: Settings, ids: list[str]) -> None:
    engine = make_engine(settings.database_url("playback"))
    migrate(engine)
    # An hour ago: far behind the feed's overlap margin, so a second pass must skip them all.
    then = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        {
            "play_session_id": sid,
            "revoked_at": then + timedelta(milliseconds=max(0, n - 1_500)),
            "token_expires_at": then + timedelta(hours=2),
        }
        for n, sid in enumerate(ids)
    ]
    with engine.begin() as db:
        db.execute(insert(RevocationRow), rows)
    engine.dispose()


@contextmanager
def _orm_loads() -> Iterator[list[object]]:
    """Every `RevocationRow` object the ORM builds while the block runs."""
    loaded: list[object] = []

    def on_load(target: object, _context: object) -> None:
        loaded.append(target)

    event.listen(RevocationRow, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(RevocationRow, "load", on_load)


async def test_an_edge_loads_a_large_list_in_pages_without_orm_rows(tmp_path: Path) -> None:
    settings = with_secrets(load_settings(data_dir=tmp_path))
    ids = [f"revoked-{n:06d}" for n in range(COUNT)]
    _seed(settings, ids)
    app = create_app(settings, edges=FixedEdges(["http://edge:1"]))
    transport = CountingTransport(httpx.ASGITransport(app=app))
    client = PlaybackClient.of(settings, "edge", transport=transport)
    feed = RevocationFeed(client, RevokedSessions(), interval_s=0, page_size=PAGE)

    async with app.router.lifespan_context(app):
        with _orm_loads() as loaded:
            assert await feed.poll_once() == COUNT
        assert transport.requests == 3  # ceil(2,500 / 1,000): no empty last page
        assert loaded == []
        assert all(sid.encode() in feed.revoked for sid in ids)
        assert len(feed.revoked) == COUNT

        # The next pass asks only for what is new: one page, one session. Numbered as every
        # writer of the store numbers them (the feed goes on by number after its first pass).
        now = datetime.now(UTC)
        late = {"play_session_id": "revoked-late", "revoked_at": now}
        engine = make_engine(settings.database_url("playback"))
        with engine.begin() as db:
            seq = take_revocation_numbers(db, engine.dialect.name, 1)
            expiry = {"token_expires_at": now + timedelta(hours=1), "seq": seq}
            db.execute(insert(RevocationRow), [{**late, **expiry}])
        engine.dispose()
        assert await feed.poll_once() == 1
        assert transport.requests == 4
        assert b"revoked-late" in feed.revoked
    await client.aclose()


async def test_a_bad_cursor_is_a_clear_422(tmp_path: Path) -> None:
    settings = with_secrets(load_settings(data_dir=tmp_path))
    app = create_app(settings, edges=FixedEdges(["http://edge:1"]))
    client = PlaybackClient.of(settings, "edge", transport=httpx.ASGITransport(app=app))
    async with app.router.lifespan_context(app):
        with pytest.raises(UpstreamError) as refused:
            await client.revocations(None, after="yesterday")
    await client.aclose()
    assert (refused.value.status_code, refused.value.code) == (422, "invalid_cursor")


async def test_after_its_first_pass_the_feed_reads_by_number_and_misses_no_late_commit(
    tmp_path: Path,
) -> None:
    """A revocation committed late (its `revoked_at` long before the poll, as a slow
    transaction or another instance's clock gives it) is read once, by its number: a window by
    time reaches back only `OVERLAP`."""
    settings = with_secrets(load_settings(data_dir=tmp_path))
    _seed(settings, ["revoked-early"])
    app = create_app(settings, edges=FixedEdges(["http://edge:1"]))
    client = PlaybackClient.of(settings, "edge", transport=httpx.ASGITransport(app=app))
    feed = RevocationFeed(client, RevokedSessions(), interval_s=0, page_size=PAGE)

    async with app.router.lifespan_context(app):
        assert await feed.poll_once() == 1
        assert await feed.poll_once() == 0, "by number: nothing new, nothing read again"
        then = datetime.now(UTC) - timedelta(hours=1)
        engine = make_engine(settings.database_url("playback"))
        with engine.begin() as db:
            seq = take_revocation_numbers(db, engine.dialect.name, 1)
            late = {"play_session_id": "revoked-late", "revoked_at": then, "seq": seq,
                    "token_expires_at": then + timedelta(hours=2)}  # fmt: skip
            db.execute(insert(RevocationRow), [late])
        engine.dispose()
        assert await feed.poll_once() == 1
        assert b"revoked-late" in feed.revoked
        assert await feed.poll_once() == 0
    await client.aclose()
