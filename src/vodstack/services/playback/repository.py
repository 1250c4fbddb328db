"""Play sessions in the service's own database (resume points are the history service's).

A stream counts against the plan while it is not ended and its last heartbeat is younger than
the timeout. A start counts and inserts in one transaction that first writes the account's
lock row: SQLite then holds its write lock, PostgreSQL a row lock, so two concurrent starts of
one account cannot both see a free slot.

Within one process, writes also take a plain lock first: SQLite's busy handler waits in sleeps
of up to 100 ms, so letting threads collide on its write lock turns a 1 ms transaction into
hundreds of ms at 50 concurrent starts. Across processes the database lock still decides.

Every way a session ends (stop, completion, timeout, log-out) goes through `_end`, which also
records a revocation: edges poll those and refuse the session's segment token from then on.
The sweep of silent streams does the same for all of them at once in set statements
(`_sweep_fast`) on the databases that have `RETURNING` and `ON CONFLICT`.

The two hot writes, a start and a heartbeat, run as SQL Core statements on a connection in
their common case (no stream to expire; a live session): the ORM's unit of work (identity map,
flush ordering, instance state) was most of their CPU, and a start holds the write lock for
its whole transaction, so its cost is also every queued start's wait. Anything unusual (a
silent stream to end, a heartbeat that finds its session ended or missing) takes the ORM path,
which is the behaviour's one definition.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from vodstack.contracts.playback import EndReason, PlaySession
from vodstack.services.playback.clock import Clock
from vodstack.services.playback.models import (
    AccountLockRow,
    PlayLoginRow,
    PlaySessionRow,
    RevocationCounterRow,
    RevocationRow,
)
from vodstack.services.playback.nowait import NoWaitConnection, WouldWait

#: Where a revocation sits in the feed's order: (revoked at, play session id).
RevocationKey = tuple[datetime, str]
#: A listed revocation: (play session id, token expires at, revoked at).
RevocationEntry = tuple[str, datetime, datetime]
#: A revocation listed by number: (session id, its token's expiry, its number).
NumberedRevocation = tuple[str, datetime, int]


class StoreError(Exception):
    """Base of the store's refusals (mapped to HTTP by the service)."""


class SessionNotFound(StoreError):
    pass


class SessionEnded(StoreError):
    def __init__(self, reason: EndReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class _SilentStream(Exception):
    """A start's fast path met a stream to expire, or a keyed start repeated: it leaves the
    start to the ORM path (which ends the silent stream, or answers the existing session)."""


class StreamLimitReached(StoreError):
    def __init__(self, active: int) -> None:
        super().__init__(f"{active} streams active")
        self.active = active


@dataclass(frozen=True)
class NewSession:
    id: str
    account_id: int
    profile_id: int
    title_id: int
    asset_version: str
    region: str | None
    max_height: int
    edges: list[str]
    token_expires_at: datetime
    login_ref: str | None = None


class SessionStore:
    def __init__(self, sessions: sessionmaker[Session], timeout: timedelta, clock: Clock) -> None:
        self._sessions = sessions
        self._timeout = timeout
        self._clock = clock
        self._write_lock = threading.Lock()
        bind = sessions.kw.get("bind")
        #: The engine for Core fast paths; None (another bind, another dialect): ORM only.
        fast = isinstance(bind, Engine) and bind.dialect.name in _FAST_DIALECTS
        self._engine = bind if fast else None
        #: For starts written on the event loop (SQLite files only); None: always in a thread.
        self._nowait = (
            NoWaitConnection(bind)
            if isinstance(bind, Engine) and NoWaitConnection.usable(bind)
            else None
        )

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._write_lock, self._sessions.begin() as db:
            yield db

    @contextmanager
    def _connection(self, engine: Engine) -> Iterator[Connection]:
        with self._write_lock, engine.begin() as conn:
            yield conn

    # -- starting ------------------------------------------------------------------------------

    def open(self, new: NewSession, max_streams: int) -> PlaySession:
        """Insert the session unless the account already has `max_streams` active ones."""
        if self._engine is not None:
            opened = self._open_fast(self._engine, new, max_streams)
            if opened is not None:
                return opened
        try:
            return self._open_once(new, max_streams)
        except IntegrityError:
            # Another start created the account's lock row first; now it exists, so retry.
            return self._open_once(new, max_streams)

    def _open_once(self, new: NewSession, max_streams: int) -> PlaySession:
        now = self._clock()
        with self._writing() as db:
            _lock_account(db, new.account_id, now)
            repeat = db.get(PlaySessionRow, new.id)
            if repeat is not None and repeat.account_id == new.account_id:
                return self._view(repeat, now)  # the same keyed start again: its session
            self._expire_silent(db, new.account_id, now)
            active = self._count_active(db, new.account_id)
            if active >= max_streams:
                raise StreamLimitReached(active)
            row = _row_of(new, now)
            db.add(row)
            if new.login_ref is not None:
                db.add(PlayLoginRow(play_session_id=new.id, login_ref=new.login_ref))
            db.flush()
            return self._view(row, now)

    def _open_fast(self, engine: Engine, new: NewSession, max_streams: int) -> PlaySession | None:
        """`_open_once` in five statements; None (nothing written) when a stream of the account
        has gone silent (ending it, and revoking its token, is the ORM path's work) or the
        session already exists (a repeated keyed start: the ORM path answers it)."""
        now = self._clock()
        row = _fresh_of(new, now)
        try:
            with self._connection(engine) as conn:
                self._insert(_CoreRun(conn), engine.dialect.name, row, new.login_ref, max_streams)
        except _SilentStream:
            return None
        return self._view(row, now)

    def try_open(self, new: NewSession, max_streams: int) -> PlaySession | None:
        """`open` for the event loop: the same statements if they can run without waiting for
        any lock (nowait.py); None when they cannot, or the start needs `open`'s other paths
        (nothing written either way): then call `open` in a thread."""
        if self._nowait is None or not self._write_lock.acquire(blocking=False):
            return None
        now = self._clock()
        row = _fresh_of(new, now)
        try:
            with self._nowait.begin() as conn:
                self._insert(_CoreRun(conn), "sqlite", row, new.login_ref, max_streams)
        except (_SilentStream, WouldWait):
            return None
        finally:
            self._write_lock.release()
        return self._view(row, now)

    def try_open_many(
        self, starts: Sequence[tuple[NewSession, int]]
    ) -> list[PlaySession | StreamLimitReached | None]:
        """`try_open` for several starts (session, max streams) in one transaction: SQLite's
        commit was most of a start's write, and one commit serves them all. Each start's
        statements run in a savepoint of their own, so a start refused (its
        `StreamLimitReached` in its place) or handed to `open` (None: a silent stream of the
        account, a repeated id) leaves the others' writes. No loop path (a server database,
        in-memory SQLite): every start gets None. `WouldWait` when the database or this
        process's write lock is busy right now (nothing written): try again later, or `open`."""
        if self._nowait is None or not starts:
            return [None] * len(starts)
        if not self._write_lock.acquire(blocking=False):
            raise WouldWait
        now = self._clock()
        outcomes: list[PlaySession | StreamLimitReached | None] = []
        try:
            with self._nowait.begin_immediate() as conn:
                # On the driver's cursor: with the commit shared, SQLAlchemy's own work per
                # statement was most of what a start's write still cost (_SqliteRun).
                run = _SqliteRun(conn)
                for new, max_streams in starts:
                    row = _fresh_of(new, now)
                    run.cursor.execute("SAVEPOINT start")
                    try:
                        self._insert(run, "sqlite", row, new.login_ref, max_streams)
                    except (_SilentStream, StreamLimitReached) as exc:
                        run.cursor.execute("ROLLBACK TO start")
                        outcomes.append(exc if isinstance(exc, StreamLimitReached) else None)
                    else:
                        outcomes.append(self._view(row, now))
                    run.cursor.execute("RELEASE start")
        finally:
            self._write_lock.release()
        return outcomes

    def close(self) -> None:
        """Close the event loop's connection (the engine's pool is its owner's to dispose)."""
        if self._nowait is not None:
            self._nowait.close()

    def _insert(
        self,
        run: _Run,
        dialect: str,
        row: _Fresh,
        login_ref: str | None,
        max_streams: int,
    ) -> None:
        """The fast path's statements in the caller's transaction; `_SilentStream` or
        `StreamLimitReached` (the caller's transaction then rolls back) otherwise."""
        now = row.started_at
        # The lock row first: from here on this transaction holds the database's write lock
        # (SQLite) or the account's row lock (PostgreSQL).
        run.execute(_LOCKS[dialect], {"account_id": row.account_id, "touched_at": now})
        if run.first(_SAME_ID, {"id": row.id}) is not None:
            raise _SilentStream  # the same keyed start again (its id comes from the key)
        beats = run.column(_OPEN_BEATS, {"account_id": row.account_id})
        if any(beat < now - self._timeout for beat in beats):
            raise _SilentStream  # rolls the lock row's write back
        if len(beats) >= max_streams:
            raise StreamLimitReached(len(beats))
        run.execute(_INSERT_SESSION, {c.key: getattr(row, c.key) for c in _COLUMNS})
        if login_ref is not None:
            run.execute(_INSERT_LOGIN, {"play_session_id": row.id, "login_ref": login_ref})

    def _count_active(self, db: Session, account_id: int) -> int:
        query = select(func.count()).where(
            PlaySessionRow.account_id == account_id, PlaySessionRow.ended_at.is_(None)
        )
        return int(db.scalar(query) or 0)

    def _expire_silent(self, db: Session, account_id: int | None, now: datetime) -> int:
        """End the streams (of one account, or all) that stopped sending heartbeats."""
        query = select(PlaySessionRow).where(
            PlaySessionRow.ended_at.is_(None),
            PlaySessionRow.last_heartbeat_at < now - self._timeout,
        )
        if account_id is not None:
            query = query.where(PlaySessionRow.account_id == account_id)
        rows = list(db.scalars(query.with_for_update()))
        for row in rows:
            _end(db, row, EndReason.TIMED_OUT, now)
        return len(rows)

    # -- reading -------------------------------------------------------------------------------

    def get(self, session_id: str, account_id: int) -> PlaySession:
        with self._sessions() as db:
            return self._view(self._owned(db, session_id, account_id), self._clock())

    def active(self, account_id: int) -> list[PlaySession]:
        now = self._clock()
        query = (
            select(PlaySessionRow)
            .where(
                PlaySessionRow.account_id == account_id,
                PlaySessionRow.ended_at.is_(None),
                PlaySessionRow.last_heartbeat_at >= now - self._timeout,
            )
            .order_by(PlaySessionRow.started_at)
        )
        with self._sessions() as db:
            return [self._view(row, now) for row in db.scalars(query)]

    def row(self, session_id: str, account_id: int) -> PlaySessionRow:
        """The raw row (edges, token expiry) for signing a session's manifests."""
        with self._sessions() as db:
            return self._owned(db, session_id, account_id)

    def find(self, session_id: str) -> PlaySessionRow:
        """The raw row of any account's session: for stream URLs, whose token proves the caller."""
        with self._sessions() as db:
            row = db.get(PlaySessionRow, session_id)
        if row is None:
            raise SessionNotFound(session_id)
        return row

    # -- heartbeats and stops ------------------------------------------------------------------

    def heartbeat(
        self, session_id: str, account_id: int, position_s: float, rendition: str | None
    ) -> PlaySession:
        if self._engine is not None:
            beat = self._heartbeat_fast(self._engine, session_id, account_id, position_s, rendition)
            if beat is not None:
                return beat
        return self._heartbeat_orm(session_id, account_id, position_s, rendition)

    def _heartbeat_fast(
        self,
        engine: Engine,
        session_id: str,
        account_id: int,
        position_s: float,
        rendition: str | None,
    ) -> PlaySession | None:
        """A live session's heartbeat in one UPDATE ... RETURNING; None (nothing written) for a
        session missing, another account's, ended or silent too long: the ORM path says which."""
        now = self._clock()
        beat = {"b_id": session_id, "b_account": account_id, "b_alive_since": now - self._timeout,
                "b_now": now, "b_position": position_s, "b_rendition": rendition}  # fmt: skip
        query = _BEATS[bool(rendition)]
        with self._connection(engine) as conn:
            found = conn.execute(query, beat).one_or_none()
        if found is None:
            return None
        return self._view(PlaySessionRow(**found._asdict()), now)

    def _heartbeat_orm(
        self, session_id: str, account_id: int, position_s: float, rendition: str | None
    ) -> PlaySession:
        now = self._clock()
        with self._writing() as db:
            row = self._owned(db, session_id, account_id)
            if row.ended_at is None and row.last_heartbeat_at < now - self._timeout:
                # Its slot may already serve another stream; reviving it would break the limit.
                _end(db, row, EndReason.TIMED_OUT, now)
            ended = row.end_reason
            if ended is None:
                row.last_heartbeat_at = now
                row.position_s = position_s
                row.rendition = rendition or row.rendition
                view = self._view(row, now)
        # Raised after the commit, so a session found timed out stays ended (and revoked).
        if ended is not None:
            raise SessionEnded(ended)
        return view

    def stop(
        self, session_id: str, account_id: int, position_s: float | None, completed: bool
    ) -> PlaySession:
        """End the session (idempotent), recording where it stopped."""
        now = self._clock()
        with self._writing() as db:
            row = self._owned(db, session_id, account_id)
            if row.ended_at is not None:
                return self._view(row, now)
            _end(db, row, EndReason.COMPLETED if completed else EndReason.STOPPED, now)
            if position_s is not None:
                row.position_s = position_s
            return self._view(row, now)

    def stop_login(self, login_ref: str) -> int:
        """End every open session started under this gateway log-in; returns how many."""
        now = self._clock()
        started = select(PlayLoginRow.play_session_id).where(PlayLoginRow.login_ref == login_ref)
        query = select(PlaySessionRow).where(
            PlaySessionRow.id.in_(started), PlaySessionRow.ended_at.is_(None)
        )
        with self._writing() as db:
            rows = list(db.scalars(query.with_for_update()))
            for row in rows:
                _end(db, row, EndReason.STOPPED, now)
            return len(rows)

    # -- revocations ---------------------------------------------------------------------------

    def sweep(self, limit: int | None = None) -> int:
        """End silent streams everywhere (so their tokens are revoked without waiting for the
        account's next start) and forget revocations of expired tokens; returns how many ended.
        `limit`: at most that many, the longest silent first (the set-statement path; the ORM
        path ends them all), so the write lock is held for one short transaction."""
        now = self._clock()
        if self._engine is not None:
            return self._sweep_fast(self._engine, now, limit)
        with self._writing() as db:
            ended = self._expire_silent(db, None, now)
            db.execute(delete(RevocationRow).where(RevocationRow.token_expires_at <= now))
            return ended

    def _sweep_fast(self, engine: Engine, now: datetime, limit: int | None) -> int:
        """`sweep` as a few set statements: what `_end` does per row, for every silent stream
        at once (the ORM's load, flush and merge cost about 1 ms of CPU per ended session,
        and every started session ends, so the sweep cost a third of a start's CPU)."""
        S = PlaySessionRow
        is_silent = (S.ended_at.is_(None), S.last_heartbeat_at < now - self._timeout)
        silent = update(S).where(*is_silent)
        if limit is not None:
            # Found through the partial index of open sessions (ix_play_sessions_silent).
            oldest = select(S.id).where(*is_silent).order_by(S.last_heartbeat_at).limit(limit)
            silent = silent.where(S.id.in_(oldest.scalar_subquery()))
        ending = silent.values(ended_at=now, end_reason=EndReason.TIMED_OUT)
        with self._connection(engine) as conn:
            ended = conn.execute(ending.returning(S.id, S.token_expires_at)).all()
            for start in range(0, len(ended), _IN_CHUNK):
                ids = [session_id for session_id, _ in ended[start : start + _IN_CHUNK]]
                conn.execute(delete(PlayLoginRow).where(PlayLoginRow.play_session_id.in_(ids)))
            if ended:
                last = take_revocation_numbers(conn, engine.dialect.name, len(ended))
                first = last - len(ended) + 1
                revoked = [
                    {"play_session_id": session_id, "revoked_at": now,
                     "token_expires_at": expiry, "seq": first + n}
                    for n, (session_id, expiry) in enumerate(ended)
                ]  # fmt: skip
                conn.execute(_revocation_upsert(engine.dialect.name), revoked)
            conn.execute(delete(RevocationRow).where(RevocationRow.token_expires_at <= now))
        return len(ended)

    def revocations(
        self, since: datetime | None, after: RevocationKey | None, limit: int
    ) -> tuple[datetime, list[RevocationEntry]]:
        """(now, up to `limit` sessions revoked at or after `since`, and after `after` in
        revocation order, whose tokens are still unexpired).

        Plain column tuples, not ORM objects: a full list runs to 100,000s of rows, and building
        an identity-mapped object per row cost seconds where the tuples cost tens of ms.
        """
        now = self._clock()
        at, session = RevocationRow.revoked_at, RevocationRow.play_session_id
        expires = RevocationRow.token_expires_at
        query = select(session, expires, at).where(expires > now)
        if since is not None:
            query = query.where(at >= since)
        if after is not None:
            after_at, after_session = after
            query = query.where(or_(at > after_at, and_(at == after_at, session > after_session)))
        query = query.order_by(at, session).limit(limit)
        if self._engine is not None and self._engine.dialect.name == "sqlite":
            # SQLite keeps these as text; parsed here in C (`fromisoformat`) rather than by
            # the column types' per-row regex and wrapper: two thirds of a page's read, and
            # every edge reads each revocation several times (its polls overlap).
            texts = query.with_only_columns(
                session, type_coerce(expires, String), type_coerce(at, String)
            )
            with self._engine.connect() as conn:
                rows = conn.execute(texts).all()
            return now, [(sid, _sqlite_utc(until), _sqlite_utc(when)) for sid, until, when in rows]
        with self._sessions() as db:
            return now, list(db.execute(query))

    def revocations_after(
        self, after_seq: int, limit: int
    ) -> tuple[datetime, int, list[NumberedRevocation]]:
        """(now, the last revocation number as of before the read, up to `limit` unexpired
        revocations numbered after `after_seq`, in number order): a poller's read of what is
        new, each revocation once, where a window by time had to overlap (commit order is not
        the order of `revoked_at`)."""
        now = self._clock()
        numbered = self.revocation_number()
        R = RevocationRow
        query = (
            select(R.play_session_id, R.token_expires_at, R.seq)
            .where(R.seq > after_seq, R.token_expires_at > now)
            .order_by(R.seq)
            .limit(limit)
        )
        if self._engine is not None and self._engine.dialect.name == "sqlite":
            texts = query.with_only_columns(
                R.play_session_id, type_coerce(R.token_expires_at, String), R.seq
            )
            with self._engine.connect() as conn:
                rows = conn.execute(texts).all()
            return now, numbered, [(sid, _sqlite_utc(until), seq) for sid, until, seq in rows]
        with self._sessions() as db:
            rows = db.execute(query).all()
            return now, numbered, [(sid, until, seq or 0) for sid, until, seq in rows]

    def revocation_number(self) -> int:
        """The last revocation number handed out (0: none yet). Read before a listing by time,
        it is where a poller goes on from by number: a revocation committed after this read
        has a greater number (models.RevocationCounterRow)."""
        with self._sessions() as db:
            return db.scalar(select(RevocationCounterRow.seq)) or 0

    # -- helpers -------------------------------------------------------------------------------

    def _owned(self, db: Session, session_id: str, account_id: int) -> PlaySessionRow:
        row = db.get(PlaySessionRow, session_id)
        # Another account's session is reported missing, not forbidden: ids are not disclosed.
        if row is None or row.account_id != account_id:
            raise SessionNotFound(session_id)
        return row

    def _view(self, row: PlaySessionRow | _Fresh, now: datetime) -> PlaySession:
        alive = row.last_heartbeat_at >= now - self._timeout
        return PlaySession(
            play_session_id=row.id,
            account_id=row.account_id,
            profile_id=row.profile_id,
            title_id=row.title_id,
            asset_version=row.asset_version,
            region=row.region,
            started_at=row.started_at,
            last_heartbeat_at=row.last_heartbeat_at,
            position_s=row.position_s,
            rendition=row.rendition,
            ended_at=row.ended_at,
            end_reason=row.end_reason,
            active=row.ended_at is None and alive,
        )


def _end(db: Session, row: PlaySessionRow, reason: EndReason, now: datetime) -> None:
    row.ended_at, row.end_reason = now, reason
    db.execute(delete(PlayLoginRow).where(PlayLoginRow.play_session_id == row.id))
    seq = take_revocation_numbers(db.connection(), db.get_bind().dialect.name, 1)
    revoked = RevocationRow(
        play_session_id=row.id, revoked_at=now, token_expires_at=row.token_expires_at, seq=seq
    )
    db.merge(revoked)


def take_revocation_numbers(conn: Connection, dialect: str, count: int) -> int:
    """Hand out `count` revocation numbers in the caller's transaction; returns the last. The
    counter row stays locked until that transaction ends (models.RevocationCounterRow). Every
    writer of revocations numbers them: one written without a number is listed by time only."""
    statement = _COUNTERS[dialect] if dialect in _COUNTERS else _counter_statement(dialect)
    return int(conn.execute(statement, {"id": 1, "seq": count}).scalar_one())


_COLUMNS = tuple(PlaySessionRow.__table__.columns)


class _Run(Protocol):
    """How `_insert` runs its statements (one definition of the start's write, two ways)."""

    def execute(self, statement: Executable, params: dict[str, Any]) -> None: ...

    def first(self, statement: Executable, params: dict[str, Any]) -> Any | None: ...

    def column(self, statement: Executable, params: dict[str, Any]) -> list[Any]: ...


class _CoreRun:
    """On a SQLAlchemy connection, as every other write."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        self._conn.execute(statement, params)

    def first(self, statement: Executable, params: dict[str, Any]) -> Any | None:
        return self._conn.execute(statement, params).first()

    def column(self, statement: Executable, params: dict[str, Any]) -> list[Any]:
        return list(self._conn.scalars(statement, params).all())


@dataclass(frozen=True)
class _Compiled:
    """A statement's SQLite text, its parameters' order and their and its first column's
    type processors: what SQLAlchemy does per execution, worked out once."""

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    first_column: Callable[[Any], Any] | None


@functools.cache
def _compiled(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect))
    names = compiled.positiontup or []
    # The dialect's own variant of each type (SQLite's DATETIME text format, its JSON), as
    # SQLAlchemy's execution uses it.
    binds = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names
    )
    columns = getattr(statement, "selected_columns", None)
    first = None
    if columns:
        first = columns[0].type.dialect_impl(dialect).result_processor(dialect, None)
    return _Compiled(compiled.string, binds, first)


class _SqliteRun:
    """On the SQLite driver's cursor of `conn` (in its transaction): the same statements, their
    text, parameters and values converted by the same type processors SQLAlchemy uses."""

    def __init__(self, conn: Connection) -> None:
        self.cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._dialect = conn.dialect

    def _run(self, statement: Executable, params: dict[str, Any]) -> _Compiled:
        compiled = _compiled(statement, self._dialect)
        values = [
            params[name] if convert is None else convert(params[name])
            for name, convert in compiled.binds
        ]
        self.cursor.execute(compiled.sql, values)
        return compiled

    def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        self._run(statement, params)

    def first(self, statement: Executable, params: dict[str, Any]) -> Any | None:
        self._run(statement, params)
        return self.cursor.fetchone()

    def column(self, statement: Executable, params: dict[str, Any]) -> list[Any]:
        convert = self._run(statement, params).first_column
        values = [row[0] for row in self.cursor.fetchall()]
        return values if convert is None else [convert(value) for value in values]


_FAST_DIALECTS = ("sqlite", "postgresql")  # both have INSERT ... ON CONFLICT and RETURNING
#: Ids per `IN (...)`: well under SQLite's limit of bound parameters per statement.
_IN_CHUNK = 500


def _sqlite_utc(text: str) -> datetime:
    """A `UTCDateTime` as SQLite stores it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), as the column
    type reads it back: aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _lock_statement(dialect: str) -> Executable:
    """Create or touch the account's lock row in one statement (account_id, touched_at)."""
    insert_ = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert_(AccountLockRow)
    touched = {"touched_at": statement.excluded.touched_at}
    return statement.on_conflict_do_update(index_elements=["account_id"], set_=touched)


# The fast start's statements, built once with their values as parameters: built per start
# with the values inside, coercing them and computing the statements' cache keys cost more
# CPU than SQLite's work (about 1 ms per start; bench/services.py, docs/benchmarks.md).
_LOCKS = {dialect: _lock_statement(dialect) for dialect in _FAST_DIALECTS}
_SAME_ID = select(PlaySessionRow.id).where(PlaySessionRow.id == bindparam("id"))
_OPEN_BEATS = (
    select(PlaySessionRow.last_heartbeat_at)
    .where(PlaySessionRow.account_id == bindparam("account_id"), PlaySessionRow.ended_at.is_(None))
    .with_for_update()
)
_INSERT_SESSION = insert(PlaySessionRow)
_INSERT_LOGIN = insert(PlayLoginRow)


def _beat_statement(with_rendition: bool) -> Executable:
    """A live session's heartbeat, returning the row (parameters named b_*)."""
    S, column = PlaySessionRow, PlaySessionRow.__table__.c
    values = {"last_heartbeat_at": bindparam("b_now", type_=column.last_heartbeat_at.type),
              "position_s": bindparam("b_position", type_=column.position_s.type)}  # fmt: skip
    if with_rendition:
        values["rendition"] = bindparam("b_rendition", type_=column.rendition.type)
    return (
        update(S)
        .where(
            S.id == bindparam("b_id"),
            S.account_id == bindparam("b_account"),
            S.ended_at.is_(None),
            S.last_heartbeat_at >= bindparam("b_alive_since"),
        )
        .values(values)
        .returning(*_COLUMNS)
    )


#: By whether the heartbeat names a rendition (else the stored one stays).
_BEATS = {flag: _beat_statement(flag) for flag in (False, True)}


def _counter_statement(dialect: str) -> Executable:
    """Add `seq` to the counter row (made at its first use), returning the new value."""
    insert_ = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert_(RevocationCounterRow)
    added = {"seq": RevocationCounterRow.seq + statement.excluded.seq}
    upsert = statement.on_conflict_do_update(index_elements=["id"], set_=added)
    return upsert.returning(RevocationCounterRow.seq)


_COUNTERS = {dialect: _counter_statement(dialect) for dialect in _FAST_DIALECTS}


def _revocation_upsert(dialect: str) -> Executable:
    """Insert revocations, or refresh one already there (what `_end`'s `merge` does)."""
    insert_ = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert_(RevocationRow)
    refreshed = {"revoked_at": statement.excluded.revoked_at,
                 "token_expires_at": statement.excluded.token_expires_at,
                 "seq": statement.excluded.seq}  # fmt: skip
    return statement.on_conflict_do_update(index_elements=["play_session_id"], set_=refreshed)


def _lock_account(db: Session, account_id: int, now: datetime) -> None:
    result = db.execute(
        update(AccountLockRow).where(AccountLockRow.account_id == account_id).values(touched_at=now)
    )
    if getattr(result, "rowcount", 0) == 0:
        db.add(AccountLockRow(account_id=account_id, touched_at=now))
        db.flush()


@dataclass(frozen=True, slots=True)
class _Fresh:
    """A new session's row, as the set-statement paths write it: the values of `_row_of`
    without the ORM's instrumented object, whose construction was a sixth of the group
    commit's CPU per start (py-spy, docs/benchmarks.md "Playback start, ninth pass")."""

    id: str
    account_id: int
    profile_id: int
    title_id: int
    asset_version: str
    region: str | None
    max_height: int
    edges: list[str]
    token_expires_at: datetime
    started_at: datetime
    last_heartbeat_at: datetime
    position_s: float
    rendition: str | None
    ended_at: datetime | None
    end_reason: EndReason | None


def _fresh_of(new: NewSession, now: datetime) -> _Fresh:
    return _Fresh(
        new.id, new.account_id, new.profile_id, new.title_id, new.asset_version, new.region,
        new.max_height, list(new.edges), new.token_expires_at, now, now, 0.0, None, None, None,
    )  # fmt: skip


def _row_of(new: NewSession, now: datetime) -> PlaySessionRow:
    return PlaySessionRow(
        id=new.id,
        account_id=new.account_id,
        profile_id=new.profile_id,
        title_id=new.title_id,
        asset_version=new.asset_version,
        region=new.region,
        max_height=new.max_height,
        edges=list(new.edges),
        token_expires_at=new.token_expires_at,
        started_at=now,
        last_heartbeat_at=now,
        position_s=0.0,
        rendition=None,
        ended_at=None,
        end_reason=None,
    )
