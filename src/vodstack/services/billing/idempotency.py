"""Idempotency keys: a mutating call runs once per key, and every retry gets its answer.

A call first *claims* its key by inserting a row (the primary key makes two concurrent claims
impossible, whichever process or thread they come from), runs, then stores its answer in the
row. A retry with the same key and body finds the row: it waits while the first call still runs
(the usual case of a client retrying on a timeout), then replays the stored answer; with another
body it is refused, since the client is confused and guessing would charge the wrong amount.

Answers worth replaying are stored: successes and 4xx refusals (a declined card stays declined
for that key, as with Stripe: retrying with a new card takes a new key). A crash or a 5xx frees
the key, so the retry runs the call again: nothing was committed by a call that failed there.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.core.errors import Conflict, Invalid, UpstreamError, VodstackError
from vodstack.services.billing.clock import Clock
from vodstack.services.billing.models import IdempotencyRow

# How long a retry waits for the first call under its key to end before it is told to retry.
WAIT_S = 15.0
_POLL_S = 0.02


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: str  # JSON


class Idempotency:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, ttl_s: float) -> None:
        self._sessions = sessions
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)

    def run(
        self, scope: str, key: str, body: Any, call: Callable[[], BaseModel], status_code: int
    ) -> Answer:
        """`call()` once for (`scope`, `key`); its answer, or the first call's, as JSON."""
        row_key = f"{scope}:{key}"
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        deadline = time.monotonic() + WAIT_S
        while True:
            stored = self._claim_or_read(row_key, digest)
            if stored is None:
                return self._run_claimed(row_key, call, status_code)
            if stored.status_code is not None:
                return Answer(stored.status_code, stored.response_body or "")
            if time.monotonic() > deadline:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; "
                    "retry in a few seconds.",
                    code="idempotency_in_progress",
                )
            time.sleep(_POLL_S)

    def _claim_or_read(self, row_key: str, digest: str) -> IdempotencyRow | None:
        """None when this call claimed the key; else the row of the call that holds it."""
        now = self._clock()
        try:
            with self._sessions.begin() as db:
                row = db.get(IdempotencyRow, row_key)
                if row is not None and row.created_at < now - self._ttl:
                    db.delete(row)  # remembered long enough: the key starts afresh
                    db.flush()
                    row = None
                if row is None:
                    db.add(IdempotencyRow(key=row_key, request_hash=digest, created_at=now))
                    return None
        except IntegrityError:
            return self._read(row_key, digest)  # a concurrent twin claimed it first
        return _same_body(row, digest)

    def _read(self, row_key: str, digest: str) -> IdempotencyRow | None:
        with self._sessions() as db:
            row = db.get(IdempotencyRow, row_key)
        return None if row is None else _same_body(row, digest)

    def _run_claimed(self, row_key: str, call: Callable[[], BaseModel], status: int) -> Answer:
        try:
            answer = Answer(status, call().model_dump_json())
        except VodstackError as exc:
            if exc.status_code >= 500:
                self._release(row_key)
                raise
            self._store(row_key, Answer(exc.status_code, _error_json(exc)))
            raise
        except BaseException:
            self._release(row_key)
            raise
        self._store(row_key, answer)
        return answer

    def _store(self, row_key: str, answer: Answer) -> None:
        with self._sessions.begin() as db:
            row = db.get(IdempotencyRow, row_key)
            if row is not None:
                row.status_code = answer.status_code
                row.response_body = answer.body

    def _release(self, row_key: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(IdempotencyRow).where(IdempotencyRow.key == row_key))


def _same_body(row: IdempotencyRow, digest: str) -> IdempotencyRow:
    if row.request_hash != digest:
        raise Invalid(
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return row


def _error_json(exc: VodstackError) -> str:
    return json.dumps({"code": exc.code, "message": exc.message, "details": exc.details})


def replay_error(answer: Answer) -> VodstackError | None:
    """The stored refusal as an error to raise again (same status, code, message), if it was one."""
    if answer.status_code < 400:
        return None
    data = json.loads(answer.body)
    return UpstreamError(
        answer.status_code, data["message"], code=data["code"], details=data["details"]
    )
