"""The playback service's API (internal; the gateway is its only public face).

The gateway has already resolved who is watching (account, plan, profile) and where (region);
the playback service trusts those fields from its callers on the internal network.

    POST /v1/sessions                              PlaybackRequest -> PlaybackStart (201);
                                                   404 title_not_found (or above the profile's
                                                   maturity), 409 not_playable, 409 stream_limit,
                                                   409 no_allowed_rendition
    GET  /v1/sessions/{id}?account_id=             -> PlaySession; 404 play_session_not_found
    POST /v1/sessions/{id}/heartbeat?account_id=   Heartbeat -> PlaySession; 409 session_ended
    POST /v1/sessions/{id}/stop?account_id=        Stop -> PlaySession (idempotent)
    GET  /v1/sessions/{id}/master.m3u8?account_id= -> HLS master, renditions above the plan's
                                                   max height removed
    GET  /v1/sessions/{id}/{rendition}/{playlist}?account_id=
                                                   -> HLS media playlist, segment URIs absolute
                                                   and signed on the session's first edge
    GET  /v1/sessions/{id}/manifest.mpd?account_id= -> DASH MPD, filtered, one BaseURL per edge
    GET  /v1/signed/{token}/master.m3u8 | manifest.mpd | {rendition}/{playlist}
                                                   -> the same manifests, named by the
                                                   session's segment token instead of its id
                                                   and account (cookieless stream URLs);
                                                   403 token_*, 409 session_ended
    GET  /v1/accounts/{account_id}/streams         -> list[PlaySession] (active ones)
    POST /v1/logins/{login_ref}/stop               -> LoginStopped: ends every session started
                                                   under that log-in (the gateway's log-out)
    GET  /v1/revocations?since=&after=&limit=      -> Revocations: sessions ended (stopped,
                                                   completed, timed out, logged out) at or after
                                                   `since` whose segment tokens have not expired
                                                   yet, one page of at most `limit` in revocation
                                                   order; `next` set means more: ask again with
                                                   `after=next`; edges and the origin poll it;
                                                   422 invalid_cursor

Every route needs a service token (core.service_auth).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from vodstack.contracts.common import Maturity

HLS_MIME = "application/vnd.apple.mpegurl"
DASH_MIME = "application/dash+xml"
#: Where the gateway serves a session's filtered manifests (`master.m3u8`, `manifest.mpd`,
#: `{rendition}/{playlist}`); relative URIs in the master resolve under it.
PUBLIC_PLAYBACK_PREFIX = "/api/playback"


#: Where the gateway serves the same manifests to any player, no cookie needed: the session's
#: token is a path segment, so the relative URIs inside a master resolve with it.
PUBLIC_SIGNED_PREFIX = f"{PUBLIC_PLAYBACK_PREFIX}/signed"


def public_manifest_path(session_id: str, file: str) -> str:
    return f"{PUBLIC_PLAYBACK_PREFIX}/{session_id}/{file}"


def public_signed_path(token: str, file: str) -> str:
    return f"{PUBLIC_SIGNED_PREFIX}/{token}/{file}"


LoginRef = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


def login_ref(session_id: str) -> str:
    """Names a gateway log-in to the playback service without handing it the session token."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


RegionName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")]
RenditionName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]


class PlaybackRequest(BaseModel):
    """What the gateway knows about a viewer pressing play."""

    account_id: int = Field(ge=1)
    profile_id: int = Field(ge=1)
    maturity: Maturity
    max_height: int = Field(ge=1, description="The plan's highest rendition height")
    max_streams: int = Field(ge=1, description="The plan's concurrent-stream limit")
    title_id: int = Field(ge=1)
    region: RegionName | None = None
    #: The log-in this start belongs to (`login_ref`): logging out ends the stream.
    login_ref: LoginRef | None = None
    #: The player's key for this press of play (its `Idempotency-Key`): a repeat of the start
    #: (retried after an instance died mid-request) answers the same session, no second one.
    idempotency_key: str | None = Field(None, pattern=r"^[\x21-\x7e]{1,200}$")


class PlaybackStart(BaseModel):
    """Everything a player needs to play: where, with which key, from which position."""

    play_session_id: str
    title_id: int
    title_name: str
    asset_version: str
    #: Edge base URLs, best first (same region and healthy first, origin last).
    edges: list[str]
    #: The asset's path on every edge, e.g. `/v/12/3f2a/`; `edge + asset_path + file + ?t=token`.
    asset_path: str
    token: str
    token_expires_at: datetime
    #: Gateway paths of the session's filtered manifests (relative to the gateway's URL).
    hls_url: str
    dash_url: str
    #: Stream URLs for any player (ffmpeg, GStreamer, VLC, Shaka): absolute, no cookie needed,
    #: valid while this play session lasts (heartbeats keep it alive, like any play).
    hls_stream_url: str = ""
    dash_stream_url: str = ""
    #: Where an EME player asks for the Clear Key licence of an encrypted title (POST, a W3C
    #: Clear Key request; no cookie needed). Empty for a title that plays in the clear
    #: (encryption is per title: jobs.title_settings).
    licence_url: str = ""
    max_height: int
    #: Where to start, from the history service's resume point (0 when it has none for this
    #: profile and title, the title was watched, or the history service did not answer in time).
    resume_position_s: float
    heartbeat_interval_s: float
    #: The ABR algorithm the player should run: the member's cell of the `abr-algorithm`
    #: experiment (set by the gateway), None when no experiment runs (the player's default).
    abr: str | None = None


class EndReason(StrEnum):
    STOPPED = "stopped"
    COMPLETED = "completed"
    #: No heartbeat within the timeout: the player vanished (closed tab, lost network).
    TIMED_OUT = "timed_out"


class PlaySession(BaseModel):
    play_session_id: str
    account_id: int
    profile_id: int
    title_id: int
    asset_version: str
    region: str | None
    started_at: datetime
    last_heartbeat_at: datetime
    position_s: float
    rendition: str | None
    ended_at: datetime | None
    end_reason: EndReason | None
    #: Whether it counts against the plan now (not ended, heartbeat within the timeout).
    active: bool


class Heartbeat(BaseModel):
    position_s: float = Field(ge=0, le=48 * 3600)
    rendition: RenditionName | None = None


class Stop(BaseModel):
    position_s: float | None = Field(None, ge=0, le=48 * 3600)
    #: Played to the end: the next start begins at 0 instead of resuming.
    completed: bool = False


class LoginStopped(BaseModel):
    stopped: int


#: Largest page of `GET /v1/revocations`, and the edges' feed asks for this many. A full list
#: (100,000s of sessions after a busy evening) comes in pages, so no one answer takes long to
#: build, send or parse, and an edge's event loop is never held for long by one.
REVOCATIONS_PAGE = 20_000


class Revocations(BaseModel):
    #: The service's clock at the time of the answer: the next poll's `since` (minus a margin).
    as_of: datetime
    #: (play session id, when its segment token would expire anyway, in Unix seconds): the edge
    #: forgets the id then. Pairs, not objects: the list is large and read by machines only.
    sessions: list[tuple[str, float]]
    #: Set when the list goes on past this page: the `after` of the next page's request (in a
    #: listing by number, `after_seq`: ask again with `after_seq=cursor`).
    next: str | None = None
    #: Revocations are numbered in commit order: poll for what is new with `after_seq` =
    #: this, each revocation once (no window by time, no overlap). In a listing by time, the
    #: number as of before its read (of the first page, for a pass over several); in one by
    #: number, where this page ends. None from a service that does not number them.
    cursor: int | None = None
