"""HTTP routes of the playback service: thin adapters from the contract to `PlaybackService`.

Routes that touch the database are plain `def` (FastAPI runs them in its threadpool); `start`
is async because it awaits the catalog and hands its blocking steps to threads itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from vodstack.contracts.keys import ContentKeyGrant, ContentKeyRequest, Licence, LicenceRequest
from vodstack.contracts.playback import (
    DASH_MIME,
    HLS_MIME,
    REVOCATIONS_PAGE,
    Heartbeat,
    LoginRef,
    LoginStopped,
    PlaybackRequest,
    PlaybackStart,
    PlaySession,
    Revocations,
    Stop,
)
from vodstack.core.responses import model_json
from vodstack.services.playback.licences import LicenceService
from vodstack.services.playback.service import PlaybackService


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _service(request: Request) -> PlaybackService:
    return cast(PlaybackService, request.app.state.playback)


async def _licences(request: Request) -> LicenceService:
    return cast(LicenceService, request.app.state.licences)


Service = Annotated[PlaybackService, Depends(_service)]
Licences = Annotated[LicenceService, Depends(_licences)]
SessionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
AccountId = Annotated[int, Query(ge=1, description="The account the caller acts for")]
Rendition = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
Playlist = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\.m3u8$")]
#: A segment token (base64url), standing in for the session in cookieless stream URLs.
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,512}$")]

# Manifests carry a session's token: never cached by shared caches or stored by browsers.
_PRIVATE = {"Cache-Control": "private, no-store"}

sessions = APIRouter(prefix="/v1/sessions", tags=["sessions"])
accounts = APIRouter(prefix="/v1/accounts", tags=["streams"])
logins = APIRouter(prefix="/v1/logins", tags=["sessions"])
revocations = APIRouter(prefix="/v1/revocations", tags=["revocations"])
signed = APIRouter(prefix="/v1/signed", tags=["stream urls"])
keys = APIRouter(prefix="/v1/keys", tags=["content keys"])

ROUTERS = (sessions, accounts, logins, revocations, signed, keys)


@sessions.post("", status_code=status.HTTP_201_CREATED, response_model=PlaybackStart)
async def start(body: PlaybackRequest, service: Service) -> Response:
    return model_json(await service.start(body), status.HTTP_201_CREATED)


@sessions.get("/{session_id}")
def get_session(session_id: SessionId, account_id: AccountId, service: Service) -> PlaySession:
    return service.session(session_id, account_id)


@sessions.post("/{session_id}/heartbeat", response_model=PlaySession)
def heartbeat(
    session_id: SessionId, account_id: AccountId, body: Heartbeat, service: Service
) -> Response:
    return model_json(service.heartbeat(session_id, account_id, body.position_s, body.rendition))


@sessions.post("/{session_id}/stop")
def stop(session_id: SessionId, account_id: AccountId, body: Stop, service: Service) -> PlaySession:
    return service.stop(session_id, account_id, body.position_s, body.completed)


@sessions.get("/{session_id}/master.m3u8", response_class=Response)
def master(session_id: SessionId, account_id: AccountId, service: Service) -> Response:
    text = service.master_playlist(session_id, account_id)
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@sessions.get("/{session_id}/manifest.mpd", response_class=Response)
def mpd(session_id: SessionId, account_id: AccountId, service: Service) -> Response:
    text = service.mpd(session_id, account_id)
    return Response(text, media_type=DASH_MIME, headers=_PRIVATE)


@sessions.get("/{session_id}/{rendition}/{playlist}", response_class=Response)
def media_playlist(
    session_id: SessionId,
    rendition: Rendition,
    playlist: Playlist,
    account_id: AccountId,
    service: Service,
) -> Response:
    text = service.media_playlist(session_id, account_id, f"{rendition}/{playlist}")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@accounts.get("/{account_id}/streams")
def active_streams(account_id: int, service: Service) -> list[PlaySession]:
    return service.active_streams(account_id)


@logins.post("/{login_ref}/stop")
def stop_login(login_ref: Annotated[LoginRef, Path()], service: Service) -> LoginStopped:
    return service.stop_login(login_ref)


@revocations.get("", response_model=Revocations)
def list_revocations(
    service: Service,
    since: datetime | None = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=REVOCATIONS_PAGE)] = REVOCATIONS_PAGE,
    after_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    # Serialized once (model_json): a page is up to 20,000 entries, which FastAPI would
    # validate again before dumping.
    return model_json(service.revocations(since, after, limit, after_seq))


@signed.get("/{token}/master.m3u8", response_class=Response)
def signed_master(token: Token, service: Service) -> Response:
    text = service.manifest(service.signed_session(token), "master.m3u8")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@signed.get("/{token}/manifest.mpd", response_class=Response)
def signed_mpd(token: Token, service: Service) -> Response:
    text = service.manifest(service.signed_session(token), "manifest.mpd")
    return Response(text, media_type=DASH_MIME, headers=_PRIVATE)


@signed.get("/{token}/{rendition}/{playlist}", response_class=Response)
def signed_media_playlist(
    token: Token, rendition: Rendition, playlist: Playlist, service: Service
) -> Response:
    text = service.manifest(service.signed_session(token), f"{rendition}/{playlist}")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@signed.post("/{token}/licence", response_model=Licence)
async def licence(token: Token, body: LicenceRequest, licences: Licences) -> Response:
    """A Clear Key licence: the keys of the version this session plays (licences.py)."""
    return model_json(await licences.licence(token, body))


@keys.post("", response_model=ContentKeyGrant)
def content_key(body: ContentKeyRequest, licences: Licences) -> ContentKeyGrant:
    """An asset version's content key, for its packager (internal: service token)."""
    kid, key = licences.content_key(body.title_id, body.asset_version)
    return ContentKeyGrant(kid=kid.hex(), key=key.hex())
