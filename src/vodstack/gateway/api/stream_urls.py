"""`/api/playback/signed/{token}/...`: a play session's manifests for any player, no cookie.

ffmpeg, GStreamer, VLC or a Shaka Player page on another origin cannot present the session
cookie. The session's segment token, which every segment URL carries anyway, names the
session here instead: as a path segment, so the relative variant URIs of the master resolve
under it and keep it, and the media playlists and the MPD are the ones the web player gets
(absolute, `?t=`-signed edge URLs). A stopped, timed-out or logged-out session's URLs stop
working (409 here, 403 `token_revoked` at the edges); a forged or expired token gets 403.

Declared before the cookie routes: `/signed/{token}/master.m3u8` would otherwise match
`/{session_id}/{rendition}/{playlist}`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from vodstack.contracts.keys import Licence, LicenceRequest
from vodstack.contracts.playback import DASH_MIME, HLS_MIME, PUBLIC_SIGNED_PREFIX
from vodstack.core.responses import model_json
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import UpstreamsDep

router = APIRouter(prefix=PUBLIC_SIGNED_PREFIX, tags=["playback"])
#: Outside the CSRF check: the token in the path is the only authority (no cookie is read), so
#: there is nothing for another site to ride, and EME players send no CSRF header.
licences = APIRouter(prefix=PUBLIC_SIGNED_PREFIX, tags=["playback"])

Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,512}$")]
Rendition = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
Playlist = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\.m3u8$")]
_PRIVATE = {"Cache-Control": "private, no-store"}


@router.get("/{token}/master.m3u8", response_class=Response, responses=errors(403, 409))
async def master(token: Token, clients: UpstreamsDep) -> Response:
    """The session's HLS master playlist (plan-filtered); its variant URIs are relative."""
    text = await clients.playback.signed_manifest(token, "master.m3u8")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@router.get("/{token}/manifest.mpd", response_class=Response, responses=errors(403, 409))
async def mpd(token: Token, clients: UpstreamsDep) -> Response:
    """The session's DASH MPD: one BaseURL per ranked edge, every segment URL signed."""
    text = await clients.playback.signed_manifest(token, "manifest.mpd")
    return Response(text, media_type=DASH_MIME, headers=_PRIVATE)


@router.get(
    "/{token}/{rendition}/{playlist}", response_class=Response, responses=errors(403, 404, 409)
)
async def media_playlist(
    token: Token, rendition: Rendition, playlist: Playlist, clients: UpstreamsDep
) -> Response:
    """One rendition's media playlist: absolute, signed segment URLs on the first edge."""
    text = await clients.playback.signed_manifest(token, f"{rendition}/{playlist}")
    return Response(text, media_type=HLS_MIME, headers=_PRIVATE)


@licences.post("/{token}/licence", response_model=Licence, responses=errors(403, 409, 422))
async def licence(token: Token, body: LicenceRequest, clients: UpstreamsDep) -> Response:
    """The Clear Key licence of an encrypted title: the keys of the version this session plays.

    The body is the EME Clear Key request (`{"kids": [...], "type": "temporary"}`); a key id
    that is not the playing version's is 403 `key_not_in_session`."""
    answer = model_json(await clients.playback.licence(token, body))
    answer.headers.update(_PRIVATE)  # keys: never cached anywhere
    return answer
