"""Typed client of the history service."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.common import Changes
from vodstack.contracts.history import (
    HistoryStatus,
    Position,
    ReshardRequest,
    ReshardStatus,
    WatchedProfiles,
)
from vodstack.core.errors import UpstreamError
from vodstack.core.http import ServiceClient

_positions = TypeAdapter(list[Position])


class HistoryClient(ServiceClient):
    service = "history"

    async def continue_watching(self, profile_id: int) -> list[Position]:
        return await self.get_as(f"/v1/profiles/{profile_id}/continue", _positions)

    async def changes(self, after: int) -> Changes:
        """The profiles whose viewing changed since the cursor `after` (history's feed)."""
        return await self.get_model("/v1/profiles/changes", Changes, params={"after": after})

    async def watched(self) -> WatchedProfiles:
        """Every profile with a resume position, as of the feed's cursor (history's snapshot)."""
        return await self.get_model("/v1/profiles/watched", WatchedProfiles)

    async def resume(self, profile_id: int, title_id: int) -> Position:
        return await self.get_model(f"/v1/profiles/{profile_id}/titles/{title_id}", Position)

    async def resume_point(self, profile_id: int, title_id: int) -> Position | None:
        """Like `resume`, but None when the profile never played the title (its 404)."""
        try:
            return await self.resume(profile_id, title_id)
        except UpstreamError as exc:
            if exc.status_code == 404 and exc.code == "no_history":
                return None
            raise

    async def viewers(self, title_id: int, limit: int = 100) -> list[Position]:
        return await self.get_as(
            f"/v1/titles/{title_id}/viewers", _positions, params={"limit": limit}
        )

    async def status(self) -> HistoryStatus:
        return await self.get_model("/v1/status", HistoryStatus)

    async def reshard(self, shards: int) -> ReshardStatus:
        body = ReshardRequest(shards=shards).model_dump()
        return await self.send_model("POST", "/v1/reshard", ReshardStatus, json=body)

    async def reshard_status(self) -> ReshardStatus:
        return await self.get_model("/v1/reshard", ReshardStatus)
