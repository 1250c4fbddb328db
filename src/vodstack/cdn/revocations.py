"""Revoked play sessions, as edges and the origin know them: polled from the playback service.

The playback service lists every ended session whose segment token has not expired yet
(`GET /v1/revocations?since=`). A `RevocationFeed` owned by each edge (and the origin) asks
for what is new every `cdn.revocation_poll_s` and keeps the ids in a `RevokedSessions` dict,
so the per-request check is one hash lookup: no disk, no network, no origin. An id is
forgotten once its token would have expired anyway, which bounds the dict by the plays of one
token lifetime.

The first load is the whole list, which can be 100,000s of sessions: it comes in pages of
`REVOCATIONS_PAGE` (a cursor names where the next one starts), so each request stays well
inside the client's timeout and each parse holds the edge's event loop for a few ms only. A
page that fails is asked for again on the next poll, from the same cursor, not from the start.

After the first pass, polls go on by number (`after_seq`, each answer's `cursor`): playback
numbers revocations in commit order, so a poll reads only what is new, each revocation once.
Against a playback that does not number them (no `cursor`), every poll is a pass by time from
the last one's time minus `OVERLAP`, as before.

If playback cannot be reached the feed keeps what it has and retries (it fails open: new
revocations wait, valid viewers are never locked out by a playback outage).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import httpx
from pydantic import ValidationError

from vodstack.clients.playback import PlaybackClient
from vodstack.config import Settings
from vodstack.contracts.playback import REVOCATIONS_PAGE
from vodstack.core.errors import VodstackError
from vodstack.core.periodic import Periodic

log = logging.getLogger(__name__)

# Each poll asks again for this much before the last answer's time: a session ended by a
# transaction that committed late, or on a playback instance with a slightly different clock,
# is still seen.
OVERLAP = timedelta(seconds=5)
_PRUNE_EVERY_S = 60.0


class RevokedSessions:
    """Session ids (as bytes, as they sit in a token) until their token's expiry."""

    def __init__(self) -> None:
        self._until: dict[bytes, float] = {}

    def __contains__(self, session: object) -> bool:
        return session in self._until

    def __len__(self) -> int:
        return len(self._until)

    def add(self, session: str, token_expires_at: float) -> None:
        self._until[session.encode()] = token_expires_at

    def prune(self, now: float) -> int:
        expired = [key for key, until in self._until.items() if until <= now]
        for key in expired:
            del self._until[key]
        return len(expired)


class RevocationFeed:
    """Keeps a `RevokedSessions` current; `start`/`stop` from the server's lifespan."""

    def __init__(
        self,
        client: PlaybackClient,
        revoked: RevokedSessions,
        interval_s: float,
        page_size: int = REVOCATIONS_PAGE,
    ) -> None:
        self._client = client
        self.revoked = revoked
        self._page_size = page_size
        self._since: datetime | None = None
        # Within one pass over the list: where the next page starts, and the first page's time
        # (the next pass's `since` must not skip what was revoked while the pages came in).
        self._after: str | None = None
        self._pass_as_of: datetime | None = None
        self._pass_cursor: int | None = None
        #: Where the next poll goes on by number; None: by time (first pass, older playback).
        self._seq: int | None = None
        self._polling = Periodic("revocation feed", self._poll, interval_s)
        self._failing = False
        self._pruned_at = time.monotonic()

    @classmethod
    def from_settings(
        cls, settings: Settings, caller: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> RevocationFeed:
        client = PlaybackClient.of(
            settings, caller, timeout=settings.upstream_timeout_s, transport=transport
        )
        return cls(client, RevokedSessions(), settings.cdn.revocation_poll_s)

    def start(self) -> None:
        self._polling.start()

    async def stop(self) -> None:
        await self._polling.stop()
        await self._client.aclose()

    async def poll_once(self) -> int:
        """Fetch what was revoked since the last pass, page by page; returns how many ids came."""
        count = 0
        while True:
            if self._seq is not None:
                answer = await self._client.revocations(
                    None, after_seq=self._seq, limit=self._page_size
                )
            else:
                answer = await self._client.revocations(
                    self._since, after=self._after, limit=self._page_size
                )
            for session, expires_at in answer.sessions:
                self.revoked.add(session, expires_at)
            count += len(answer.sessions)
            if self._seq is not None:
                # By number: `cursor` is where this page ends (the service numbers them).
                self._seq = answer.cursor
                self._since = answer.as_of - OVERLAP  # if it ever stops numbering them
                if answer.next is None or answer.cursor is None:
                    break
                continue
            if self._pass_as_of is None:
                self._pass_as_of, self._pass_cursor = answer.as_of, answer.cursor
            self._after = answer.next
            if answer.next is None:
                self._since, self._pass_as_of = self._pass_as_of - OVERLAP, None
                self._seq, self._pass_cursor = self._pass_cursor, None
                break
        if time.monotonic() - self._pruned_at > _PRUNE_EVERY_S:
            self.revoked.prune(time.time())
            self._pruned_at = time.monotonic()
        return count

    async def _poll(self) -> None:
        try:
            await self.poll_once()
        except (VodstackError, ValidationError) as exc:
            # One line per outage, not one per second.
            if not self._failing:
                log.warning("revocations unavailable (%s); keeping %d", exc, len(self.revoked))
            self._failing = True
        else:
            if self._failing:
                log.info("revocations available again")
            self._failing = False
