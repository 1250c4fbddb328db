"""Playback logic: entitlement, the concurrent-stream limit, signing, resume, manifests.

Resume points are the history service's (fed by the players' events); a start asks it, in
parallel with its own work, and plays from 0 when it does not answer in time.

Errors are raised from `core.errors` (the one HTTP mapping lives in `core.app`); the store's and
the manifest filter's own exceptions are translated here, once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from vodstack.config.settings import PlaybackSettings
from vodstack.contracts.billing import Entitlement
from vodstack.contracts.catalog import Availability, Title
from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.contracts.playback import (
    REVOCATIONS_PAGE,
    LoginStopped,
    PlaybackRequest,
    PlaybackStart,
    PlaySession,
    Revocations,
    public_manifest_path,
    public_signed_path,
)
from vodstack.core.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, VodstackError
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.hls import is_encrypted
from vodstack.delivery.subtitles import (
    SUBTITLE_DIR,
    SUBTITLE_INDEX,
    SubtitleTrack,
    with_hls_subtitles,
)
from vodstack.delivery.subtitles import read_index as read_subtitle_index
from vodstack.delivery.tokens import TokenSigner, token_session
from vodstack.services.playback import manifests, revocations
from vodstack.services.playback.assets import AssetFileMissing, AssetFiles
from vodstack.services.playback.clock import Clock
from vodstack.services.playback.edges import EdgeRanker
from vodstack.services.playback.group_commit import GroupCommit
from vodstack.services.playback.models import PlaySessionRow
from vodstack.services.playback.repository import (
    NewSession,
    SessionEnded,
    SessionNotFound,
    SessionStore,
    StreamLimitReached,
)
from vodstack.storage import ObjectStoreUnavailable

MASTER = "master.m3u8"
MPD = "manifest.mpd"
#: The Clear Key licence route beside a session's signed manifests (services/playback/licences).
LICENCE = "licence"
#: A resume point this close to the end means "finished": the next start begins at 0.
END_MARGIN_S = 10.0

log = logging.getLogger(__name__)


class TitleSource(Protocol):
    async def title(self, title_id: int, maturity: Maturity) -> Title: ...


class EntitlementSource(Protocol):
    """The billing service's answer to "may this account play?" (clients.billing.BillingClient)."""

    async def entitlement(self, account_id: int) -> Entitlement: ...


class ResumeSource(Protocol):
    """The history service's resume points (clients.history.HistoryClient)."""

    async def resume_point(self, profile_id: int, title_id: int) -> Position | None: ...


@dataclass(frozen=True)
class Collaborators:
    """What the service talks to: its store, the catalog, the published files, the CDN."""

    store: SessionStore
    catalog: TitleSource
    history: ResumeSource
    assets: AssetFiles
    edges: EdgeRanker
    signer: TokenSigner
    #: None: nobody is billed (every account may play), as in tests of playback alone.
    billing: EntitlementSource | None = None


class PlaybackService:
    def __init__(
        self,
        parts: Collaborators,
        settings: PlaybackSettings,
        clock: Clock,
        *,
        gateway_url: str = "",
    ) -> None:
        self._store = parts.store
        self._writes = GroupCommit(parts.store.try_open_many)
        self._catalog = parts.catalog
        self._history = parts.history
        self._assets = parts.assets
        self._edges = parts.edges
        self._signer = parts.signer
        self._billing = parts.billing
        self._settings = settings
        self._clock = clock
        # Stream URLs are absolute (external players are handed nothing else); "" = paths only.
        self._gateway_url = gateway_url.rstrip("/")
        #: Starts that played from 0 because the history service failed or was slow.
        self.resume_unavailable = 0
        #: Starts let through unchecked because the billing service failed or was slow.
        self.entitlement_unavailable = 0

    # -- starting ------------------------------------------------------------------------------

    async def start(self, request: PlaybackRequest) -> PlaybackStart:
        """Check entitlement, reserve a stream slot, and hand out signed URLs."""
        # Asked first, awaited last: the history's answer costs no time on top of the start.
        resume = asyncio.create_task(self._resume_point(request.profile_id, request.title_id))
        entitled = asyncio.create_task(self._check_entitlement(request.account_id))
        try:
            return await self._start(request, resume, entitled)
        finally:
            resume.cancel()
            entitled.cancel()

    async def _start(
        self,
        request: PlaybackRequest,
        resume: asyncio.Task[Position | None],
        entitled: asyncio.Task[None],
    ) -> PlaybackStart:
        title = await self._catalog.title(request.title_id, request.maturity)
        await entitled  # before a stream slot is taken
        version = _playable_version(title)
        # Only a first read goes to the object store, in a thread; later ones skip the hop.
        master = self._assets.cached_text(title.id, version, MASTER)
        if master is None:
            master = await asyncio.to_thread(self._read, title.id, version, MASTER)
        with _no_rendition_is_conflict():
            clear = not _playable_master(master, request.max_height)
        edges = self._edges.rank(request.region, title.id)
        if not edges:
            raise ServiceUnavailable(
                "No edge server can deliver video right now; try again shortly.", code="no_edges"
            )
        new = NewSession(
            id=session_id(request),
            account_id=request.account_id,
            profile_id=request.profile_id,
            title_id=title.id,
            asset_version=version,
            region=request.region,
            max_height=request.max_height,
            edges=edges,
            token_expires_at=self._clock() + timedelta(seconds=self._settings.token_ttl_s),
            login_ref=request.login_ref,
        )
        keyed = request.idempotency_key is not None
        # On the loop when the write need not wait, with the other starts of this loop
        # iteration in one commit (group_commit.py; no thread hop), else in a thread; a keyed
        # start may repeat one already stored, which only `_open` answers.
        with self._stream_limit_is_conflict(request.max_streams):
            opened = None if keyed else await self._writes.open(new, request.max_streams)
        if opened is None:
            new = await asyncio.to_thread(self._open, new, request.max_streams, keyed)
        answer = self._start_answer(new, title, _resume_position(await resume, title))
        # A clear title has no key to licence: the player then never sets up EME. (A keyed
        # repeat may answer an older version: its URL stays, a player without keys ignores it.)
        encrypted = new.asset_version != version or not clear
        return answer if encrypted else answer.model_copy(update={"licence_url": ""})

    def _open(self, new: NewSession, max_streams: int, keyed: bool) -> NewSession:
        """Open the session; returns it as stored: a keyed start's repeat gets the first
        one's expiry (its token is signed with it), version and height."""
        with self._stream_limit_is_conflict(max_streams):
            self._store.open(new, max_streams)
        if not keyed:
            return new
        row = self._store.row(new.id, new.account_id)
        return replace(
            new,
            token_expires_at=row.token_expires_at,
            asset_version=row.asset_version,
            max_height=row.max_height,
        )

    @contextmanager
    def _stream_limit_is_conflict(self, max_streams: int) -> Iterator[None]:
        try:
            yield
        except StreamLimitReached as exc:
            timeout = round(self._settings.stream_timeout_s)
            plural = "stream" if max_streams == 1 else "streams"
            raise Conflict(
                f"Your plan allows {max_streams} {plural} at a time and {exc.active} "
                f"{'is' if exc.active == 1 else 'are'} playing now. Stop playback on another "
                f"device (a closed player frees its slot within {timeout} s) or upgrade your plan.",
                code="stream_limit",
            ) from exc

    async def check_entitlement(self, account_id: int) -> None:
        """The start's entitlement check, for later grants of the same session (licences)."""
        await self._check_entitlement(account_id)

    async def _check_entitlement(self, account_id: int) -> None:
        """Raise `Forbidden` (with billing's code and message) for an account that may not play.

        Billing down, slow or garbled lets the start through: refusing every viewer because the
        billing service is unwell would turn its outage into the whole platform's.
        """
        if self._billing is None:
            return
        try:
            async with asyncio.timeout(self._settings.entitlement_timeout_s):
                answer = await self._billing.entitlement(account_id)
        except (VodstackError, TimeoutError, ValueError) as exc:
            self.entitlement_unavailable += 1
            log.warning("entitlement not checked (billing service: %s)", exc or "timeout")
            return
        if not answer.entitled:
            raise Forbidden(
                answer.message or "This account may not play.",
                code=answer.code or "not_entitled",
            )

    async def _resume_point(self, profile_id: int, title_id: int) -> Position | None:
        """The history's resume point, or None: never seen, or history down or slow."""
        try:
            async with asyncio.timeout(self._settings.resume_timeout_s):
                return await self._history.resume_point(profile_id, title_id)
        except (VodstackError, TimeoutError, ValueError) as exc:  # ValueError: garbled answer
            self.resume_unavailable += 1
            log.warning("no resume point (history service: %s); starting at 0", exc or "timeout")
            return None

    def _start_answer(self, new: NewSession, title: Title, resume: float) -> PlaybackStart:
        token = self._token(
            new.id, title.id, new.asset_version, new.token_expires_at, new.max_height
        )
        return PlaybackStart(
            play_session_id=new.id,
            title_id=title.id,
            title_name=title.name,
            asset_version=new.asset_version,
            edges=new.edges,
            asset_path=asset_url_prefix(title.id, new.asset_version),
            token=token,
            token_expires_at=new.token_expires_at,
            hls_url=public_manifest_path(new.id, MASTER),
            dash_url=public_manifest_path(new.id, MPD),
            hls_stream_url=self._gateway_url + public_signed_path(token, MASTER),
            dash_stream_url=self._gateway_url + public_signed_path(token, MPD),
            licence_url=self._gateway_url + public_signed_path(token, LICENCE),
            max_height=new.max_height,
            resume_position_s=resume,
            heartbeat_interval_s=self._settings.heartbeat_interval_s,
        )

    def _token(
        self, session_id: str, title_id: int, version: str, expires: datetime, max_height: int
    ) -> str:
        # Signed with the session's fixed expiry, so every manifest of a session carries the
        # same token as the start answer.
        prefix = asset_url_prefix(title_id, version)
        return self._signer.sign(
            prefix, session_id, 0, max_height=max_height, now=expires.timestamp()
        )

    # -- during playback -----------------------------------------------------------------------

    def session(self, session_id: str, account_id: int) -> PlaySession:
        with _translated():
            return self._store.get(session_id, account_id)

    def heartbeat(
        self, session_id: str, account_id: int, position_s: float, rendition: str | None
    ) -> PlaySession:
        with _translated():
            return self._store.heartbeat(session_id, account_id, position_s, rendition)

    def stop(
        self, session_id: str, account_id: int, position_s: float | None, completed: bool
    ) -> PlaySession:
        with _translated():
            return self._store.stop(session_id, account_id, position_s, completed)

    def stop_login(self, login_ref: str) -> LoginStopped:
        return LoginStopped(stopped=self._store.stop_login(login_ref))

    def revocations(
        self,
        since: datetime | None,
        after: str | None = None,
        limit: int = REVOCATIONS_PAGE,
        after_seq: int | None = None,
    ) -> Revocations:
        """One page of the revocation list (services.playback.revocations): by number after
        `after_seq` when given (`since` and `after` then unused), else by time."""
        if after_seq is not None:
            as_of, numbered, listed = self._store.revocations_after(after_seq, limit + 1)
            return revocations.numbered_page(as_of, numbered, listed, limit)
        key = revocations.decode_cursor(after) if after is not None else None
        numbered = self._store.revocation_number()  # first: see `revocation_number`
        as_of, entries = self._store.revocations(since, key, limit + 1)
        return revocations.page(as_of, numbered, entries, limit)

    def sweep(self, limit: int | None = None) -> int:
        """End silent streams (revoking their tokens), at most `limit` of them; the app runs
        it every second or so (sweeper.py)."""
        return self._store.sweep(limit)

    def active_streams(self, account_id: int) -> list[PlaySession]:
        return self._store.active(account_id)

    # -- manifests -----------------------------------------------------------------------------

    def master_playlist(self, session_id: str, account_id: int) -> str:
        return self.manifest(self._playing(session_id, account_id), MASTER)

    def media_playlist(self, session_id: str, account_id: int, file: str) -> str:
        return self.manifest(self._playing(session_id, account_id), file)

    def mpd(self, session_id: str, account_id: int) -> str:
        return self.manifest(self._playing(session_id, account_id), MPD)

    def signed_session(self, token: str) -> PlaySessionRow:
        """The playing session a stream URL's token belongs to: the token stands in for the
        cookie, so it must be exactly the one the session was given, unexpired and unrevoked."""
        session_id = token_session(token)
        row = None
        if session_id is not None:
            with contextlib.suppress(SessionNotFound):
                row = self._store.find(session_id)
        if row is None or not hmac.compare_digest(token, self._row_token(row)):
            raise Forbidden(
                "This stream URL is not valid; start playback again.", code="token_bad_signature"
            )
        if row.token_expires_at <= self._clock():
            raise Forbidden(
                "This stream URL has expired; start playback again.", code="token_expired"
            )
        return _playing_row(row)

    def manifest(self, row: PlaySessionRow, file: str) -> str:
        """A playing session's manifest: the filtered master, the MPD or one media playlist."""
        if file == MASTER:
            return with_hls_subtitles(self._filtered_master(row).text, self._subtitles(row))
        if file == MPD:
            text = self._read(row.title_id, row.asset_version, MPD)
            prefix = asset_url_prefix(row.title_id, row.asset_version)
            bases = [f"{edge}{prefix}" for edge in row.edges]
            with _no_rendition_is_conflict():
                return manifests.filter_mpd(
                    text, row.max_height, bases, self._row_token(row), self._subtitles(row)
                )
        if file.startswith(f"{SUBTITLE_DIR}/"):
            return self._subtitle_playlist(row, file)
        master = self._filtered_master(row)
        if file in master.above_plan_uris:
            raise Forbidden(
                f"The playlist {file!r} is above this session's plan ({row.max_height}p at "
                "most); play a rendition the master playlist lists.",
                code="above_plan",
            )
        if file not in master.playlist_uris:
            raise NotFound(
                f"This session offers no playlist {file!r} (not in its master playlist).",
                code="playlist_not_found",
            )
        text = self._read(row.title_id, row.asset_version, file)
        url = f"{row.edges[0]}{asset_url_prefix(row.title_id, row.asset_version)}{file}"
        return manifests.sign_media_playlist(text, url, self._row_token(row))

    def _subtitles(self, row: PlaySessionRow) -> list[SubtitleTrack]:
        # Read on every master and MPD: subtitles may arrive after the version was published.
        try:
            index = self._assets.read_fresh(row.title_id, row.asset_version, SUBTITLE_INDEX)
        except ObjectStoreUnavailable as exc:
            raise ServiceUnavailable(
                f"Playback cannot read the title's subtitles: the object store is unreachable. "
                f"({exc})",
                code="storage_unavailable",
            ) from exc
        return read_subtitle_index(index)

    def _subtitle_playlist(self, row: PlaySessionRow, file: str) -> str:
        if file not in {track.playlist for track in self._subtitles(row)}:
            raise NotFound(
                f"This session offers no subtitle playlist {file!r} (not in its master playlist).",
                code="playlist_not_found",
            )
        text = self._read(row.title_id, row.asset_version, file)
        url = f"{row.edges[0]}{asset_url_prefix(row.title_id, row.asset_version)}{file}"
        return manifests.sign_media_playlist(text, url, self._row_token(row))

    def _filtered_master(self, row: PlaySessionRow) -> manifests.FilteredMaster:
        text = self._read(row.title_id, row.asset_version, MASTER)
        with _no_rendition_is_conflict():
            return manifests.filter_master(text, row.max_height)

    def _row_token(self, row: PlaySessionRow) -> str:
        return self._token(
            row.id, row.title_id, row.asset_version, row.token_expires_at, row.max_height
        )

    def _playing(self, session_id: str, account_id: int) -> PlaySessionRow:
        with _translated():
            return _playing_row(self._store.row(session_id, account_id))

    def _read(self, title_id: int, version: str, file: str) -> str:
        try:
            return self._assets.read_text(title_id, version, file)
        except AssetFileMissing as exc:
            # The catalog says the title is published, so a missing file is our fault.
            raise ServiceUnavailable(
                f"Asset version {version} of title {title_id} has no {file}; its files are not "
                "reachable right now.",
                code="asset_missing",
            ) from exc
        except ObjectStoreUnavailable as exc:
            raise ServiceUnavailable(
                "Playback cannot read the title's manifests: the object store is unreachable. "
                f"({exc})",
                code="storage_unavailable",
            ) from exc


def session_id(request: PlaybackRequest) -> str:
    """A new session's id: random, or, for a start with an idempotency key, derived from the
    account and the key, so a repeat of the same start (retried on another instance after one
    died mid-request) names the same session and the store answers it instead of opening a
    second one. 24 URL-safe characters either way."""
    if request.idempotency_key is None:
        return secrets.token_urlsafe(18)
    seed = f"{request.account_id}:{request.idempotency_key}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(seed).digest()[:18]).decode()


@functools.lru_cache(maxsize=1024)
def _playable_master(master: str, max_height: int) -> bool:
    """Whether a master playlist is encrypted, once it is known to offer a rendition within
    `max_height` (`manifests.NoAllowedRendition` otherwise). A pure function of the text (a
    version's files never change), parsed once per distinct text and height instead of at
    every start: the two parses were about 100 µs of a start's CPU."""
    manifests.filter_master(master, max_height)
    return is_encrypted(master)


def _playing_row(row: PlaySessionRow) -> PlaySessionRow:
    if row.ended_at is not None:
        raise Conflict(
            "This playback session has ended; start playback again.", code="session_ended"
        )
    return row


def _resume_position(point: Position | None, title: Title) -> float:
    """Where to start: 0 for a title never played, watched, or stopped near its end."""
    if point is None or point.watched:
        return 0.0
    duration = title.duration_s or point.duration_s
    if duration and point.position_s >= duration - END_MARGIN_S:
        return 0.0
    return point.position_s


def _playable_version(title: Title) -> str:
    if title.availability is not Availability.AVAILABLE or title.asset_version is None:
        raise Conflict(
            f"“{title.name}” is still processing; it can be played once it is available.",
            code="not_playable",
        )
    return title.asset_version


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except SessionNotFound as exc:
        raise NotFound("No such playback session.", code="play_session_not_found") from exc
    except SessionEnded as exc:
        raise Conflict(
            f"This playback session has ended ({exc.reason.value.replace('_', ' ')}); "
            "start playback again.",
            code="session_ended",
        ) from exc


@contextmanager
def _no_rendition_is_conflict() -> Iterator[None]:
    try:
        yield
    except manifests.NoAllowedRendition as exc:
        raise Conflict(
            "This title has no quality your plan allows (all of its renditions are above "
            "your plan's resolution).",
            code="no_allowed_rendition",
        ) from exc
