"""Typed client of the playback service."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter

from vodstack.contracts.keys import Licence, LicenceRequest
from vodstack.contracts.playback import (
    Heartbeat,
    LoginStopped,
    PlaybackRequest,
    PlaybackStart,
    PlaySession,
    Revocations,
    Stop,
)
from vodstack.core.http import ServiceClient

_sessions = TypeAdapter(list[PlaySession])


class PlaybackClient(ServiceClient):
    service = "playback"

    async def start(self, body: PlaybackRequest) -> PlaybackStart:
        # With a key the start may be retried on another instance (the service dedupes it).
        key = body.idempotency_key
        return await self.send_model(
            "POST",
            "/v1/sessions",
            PlaybackStart,
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": key} if key else None,
        )

    async def session(self, session_id: str, account_id: int) -> PlaySession:
        return await self.get_model(
            f"/v1/sessions/{session_id}", PlaySession, params={"account_id": account_id}
        )

    async def heartbeat(self, session_id: str, account_id: int, body: Heartbeat) -> PlaySession:
        return await self.send_model(
            "POST",
            f"/v1/sessions/{session_id}/heartbeat",
            PlaySession,
            params={"account_id": account_id},
            json=body.model_dump(mode="json"),
        )

    async def stop(self, session_id: str, account_id: int, body: Stop) -> PlaySession:
        return await self.send_model(
            "POST",
            f"/v1/sessions/{session_id}/stop",
            PlaySession,
            params={"account_id": account_id},
            json=body.model_dump(mode="json"),
        )

    async def manifest(self, session_id: str, account_id: int, file: str) -> str:
        """A session's filtered manifest: `master.m3u8`, `manifest.mpd` or `{rendition}/{name}`."""
        response = await self.request(
            "GET", f"/v1/sessions/{session_id}/{file}", params={"account_id": account_id}
        )
        return response.text

    async def signed_manifest(self, token: str, file: str) -> str:
        """The same manifests, named by the session's token (cookieless stream URLs)."""
        response = await self.request("GET", f"/v1/signed/{token}/{file}")
        return response.text

    async def licence(self, token: str, body: LicenceRequest) -> Licence:
        """A Clear Key licence for the session the token names (services/playback/licences)."""
        return await self.send_model(
            "POST", f"/v1/signed/{token}/licence", Licence, json=body.model_dump(mode="json")
        )

    async def active_streams(self, account_id: int) -> list[PlaySession]:
        return await self.get_as(f"/v1/accounts/{account_id}/streams", _sessions)

    async def stop_login(self, login_ref: str) -> LoginStopped:
        """End every stream started under a gateway log-in (`contracts.playback.login_ref`)."""
        return await self.send_model("POST", f"/v1/logins/{login_ref}/stop", LoginStopped)

    async def revocations(
        self,
        since: datetime | None,
        *,
        after: str | None = None,
        limit: int | None = None,
        after_seq: int | None = None,
    ) -> Revocations:
        """One page of the revocation list; pass its `next` back as `after` for the next one.
        `after_seq`: what was revoked after that number instead (the answers' `cursor`)."""
        params: dict[str, str | int] = {}
        if after_seq is not None:
            params["after_seq"] = after_seq
        if since is not None:
            params["since"] = since.isoformat()
        if after is not None:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        return await self.get_model("/v1/revocations", Revocations, params=params)
