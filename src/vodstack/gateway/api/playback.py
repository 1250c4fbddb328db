"""`/api/playback`: press play, keep the stream alive, stop; the session's filtered manifests.

The gateway adds what only it knows: who is watching (account, plan, profile, from the cookie
session) and where (the client's region), and passes both to the playback service. Manifests
are served here, same-origin with the web page, so a browser player needs no CORS for them and
the session cookie proves the caller owns the play session.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from vodstack.config.settings import Mode, Settings
from vodstack.contracts.billing import IdempotencyKey
from vodstack.contracts.experiments import ABR_EXPERIMENT
from vodstack.contracts.playback import (
    DASH_MIME,
    HLS_MIME,
    Heartbeat,
    PlaybackRequest,
    PlaybackStart,
    PlaySession,
    Stop,
    login_ref,
)
from vodstack.control.regions import RegionResolver
from vodstack.gateway import experiments
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import SessionDep, StateDep, UpstreamsDep, ViewerDep

router = APIRouter(prefix="/api/playback", tags=["playback"])

SessionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Rendition = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
Playlist = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\.m3u8$")]
RegionQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,32}$")]
_PRIVATE = {"Cache-Control": "private, no-store"}


def _resolver(request: Request, settings: Settings) -> RegionResolver:
    # Built once per app: with GeoIP configured it holds an open database.
    resolver: RegionResolver | None = getattr(request.app.state, "playback_regions", None)
    if resolver is None:
        resolver = RegionResolver.from_settings(settings)
        request.app.state.playback_regions = resolver
    return resolver


def viewer_region(request: Request, settings: Settings, asked: str | None) -> str:
    """The client's region: CIDR map or GeoIP of its address; chosen by hand in local mode.

    A client-sent region is honoured only in local mode (for testing steering); in production
    the address decides, so nobody can pick a far region's edges by sending a header.
    """
    chosen = None
    if settings.mode is Mode.LOCAL:
        chosen = asked or request.headers.get(settings.cdn.region_header)
    client_ip = request.client.host if request.client else None
    return _resolver(request, settings).resolve(chosen, client_ip)


@router.post(
    "/{title_id}/start",
    status_code=201,
    response_model=PlaybackStart,
    responses=errors(401, 403, 404, 409, 422),
)
async def start(
    title_id: Id,
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    clients: UpstreamsDep,
    region: RegionQuery = None,
    key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> PlaybackStart:
    """Start playing a title as the current profile: signed edge URLs and manifests.

    409 `stream_limit` when the plan's concurrent streams are all in use, 409 `not_playable`
    while the title is still processing. With an `Idempotency-Key` (one per press of play),
    a start retried after a lost answer gets the same session instead of a second one.
    """
    plan = viewer.session.account.plan
    body = PlaybackRequest(
        account_id=viewer.session.account.id,
        profile_id=viewer.profile.id,
        maturity=viewer.maturity,
        max_height=plan.max_height,
        max_streams=plan.max_streams,
        title_id=title_id,
        region=viewer_region(request, state.settings, region),
        login_ref=login_ref(viewer.session.session_id),
        idempotency_key=key,
    )
    # The experiment's answer is awaited alongside the start: it costs no time on top of it.
    started, algorithm = await asyncio.gather(
        clients.playback.start(body),
        experiments.assign(
            clients, viewer, ABR_EXPERIMENT, state.settings.experiments.assign_timeout_s
        ),
    )
    return started.model_copy(update={"abr": algorithm}) if algorithm else started


@router.post(
    "/{session_id}/heartbeat", response_model=PlaySession, responses=errors(401, 403, 404, 409)
)
async def heartbeat(
    session_id: SessionId, body: Heartbeat, session: SessionDep, clients: UpstreamsDep
) -> PlaySession:
    """Keep the stream alive and save the position (409 `session_ended` once it timed out)."""
    return await clients.playback.heartbeat(session_id, session.account.id, body)


@router.post("/{session_id}/stop", response_model=PlaySession, responses=errors(401, 403, 404))
async def stop(
    session_id: SessionId, session: SessionDep, clients: UpstreamsDep, body: Stop | None = None
) -> PlaySession:
    """End the stream (frees the plan's slot at once) and save where it stopped."""
    return await clients.playback.stop(session_id, session.account.id, body or Stop())


@router.get("/{session_id}/master.m3u8", response_class=Response, responses=errors(401, 404, 409))
async def master(session_id: SessionId, session: SessionDep, clients: UpstreamsDep) -> Response:
    """The HLS master playlist, without the renditions above the plan's resolution."""
    text = await clients.playback.manifest(session_id, session.account.id, "master.m3u8")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@router.get("/{session_id}/manifest.mpd", response_class=Response, responses=errors(401, 404, 409))
async def mpd(session_id: SessionId, session: SessionDep, clients: UpstreamsDep) -> Response:
    """The DASH MPD, filtered like the master playlist, one BaseURL per ranked edge."""
    text = await clients.playback.manifest(session_id, session.account.id, "manifest.mpd")
    return Response(text, media_type=DASH_MIME, headers=_PRIVATE)


@router.get(
    "/{session_id}/{rendition}/{playlist}",
    response_class=Response,
    responses=errors(401, 404, 409, 422),
)
async def media_playlist(
    session_id: SessionId,
    rendition: Rendition,
    playlist: Playlist,
    session: SessionDep,
    clients: UpstreamsDep,
) -> Response:
    """One rendition's media playlist: absolute, signed segment URLs on the first edge."""
    text = await clients.playback.manifest(
        session_id, session.account.id, f"{rendition}/{playlist}"
    )
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)
