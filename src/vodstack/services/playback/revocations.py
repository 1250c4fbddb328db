"""The revocation list as edges page through it: the cursor and the answer of one page.

A page is ordered by (revoked at, session id), so a cursor naming the last entry sent is
enough to go on from there, however many sessions share one instant (a log-out ending a
household's streams, or a benchmark seeding 100,000 at once). The cursor is opaque to callers:
`{revoked at, ISO 8601},{session id}` (neither part holds a comma).

Pollers go on by number (`after_seq`, the answer's `cursor`): revocations are numbered in commit
order (models.RevocationCounterRow), so what is new since a poll is exactly what is numbered
after its cursor. The listing by time stays for the first load and for older pollers, which
re-read an overlap window at every poll (each revocation read ~5 times per poller instead of
once: at 2,500 starts a second that was a sixth of the service's CPU).

The answer is built from the store's tuples and serialized once (`model_construct`: these values
come from our own database, validating 100,000 of them again would be the slow path).
"""

from __future__ import annotations

from datetime import datetime

from vodstack.contracts.playback import Revocations
from vodstack.core.errors import Invalid
from vodstack.services.playback.repository import (
    NumberedRevocation,
    RevocationEntry,
    RevocationKey,
)


def encode_cursor(key: RevocationKey) -> str:
    revoked_at, session = key
    return f"{revoked_at.isoformat()},{session}"


def decode_cursor(cursor: str) -> RevocationKey:
    text, _, session = cursor.partition(",")
    try:
        revoked_at = datetime.fromisoformat(text)
    except ValueError:
        revoked_at = None
    if revoked_at is None or revoked_at.tzinfo is None or not session:
        raise Invalid(
            "Invalid revocations cursor: pass back the `next` of the previous page unchanged.",
            code="invalid_cursor",
        )
    return revoked_at, session


def page(as_of: datetime, numbered: int, entries: list[RevocationEntry], limit: int) -> Revocations:
    """One page of `limit` entries at most, from up to `limit + 1` read (one more says whether
    another page follows, so a list that ends on a page boundary costs no empty request);
    `numbered`: the last revocation number as of before the read."""
    kept = entries[:limit]
    sessions = [(session, expires.timestamp()) for session, expires, _at in kept]
    after = None
    if len(entries) > limit:
        session, _expires, revoked_at = kept[-1]
        after = encode_cursor((revoked_at, session))
    return Revocations.model_construct(as_of=as_of, sessions=sessions, next=after, cursor=numbered)


def numbered_page(
    as_of: datetime, numbered: int, entries: list[NumberedRevocation], limit: int
) -> Revocations:
    """One page of a listing by number, read as `page` reads: its `cursor` is the last listed
    number while more follow (`next` set), else the last number as of before the read."""
    kept = entries[:limit]
    sessions = [(session, expires.timestamp()) for session, expires, _seq in kept]
    if len(entries) > limit:
        last = kept[-1][2]
        return Revocations.model_construct(
            as_of=as_of, sessions=sessions, next=str(last), cursor=last
        )
    last = max([numbered] + [seq for _s, _e, seq in kept])
    return Revocations.model_construct(as_of=as_of, sessions=sessions, next=None, cursor=last)
