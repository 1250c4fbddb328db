"""Typed client of the playback service."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.playback import (
    Bookmark,
    Heartbeat,
    PlaybackRequest,
    PlaybackStart,
    PlaySession,
    Stop,
)
from vodstack.core.http import ServiceClient

_sessions = TypeAdapter(list[PlaySession])


class PlaybackClient(ServiceClient):
    service = "playback"

    async def start(self, body: PlaybackRequest) -> PlaybackStart:
        return await self.send_model(
            "POST", "/v1/sessions", PlaybackStart, json=body.model_dump(mode="json")
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

    async def active_streams(self, account_id: int) -> list[PlaySession]:
        return await self.get_as(f"/v1/accounts/{account_id}/streams", _sessions)

    async def bookmark(self, profile_id: int, title_id: int) -> Bookmark:
        return await self.get_model(f"/v1/bookmarks/{profile_id}/{title_id}", Bookmark)
