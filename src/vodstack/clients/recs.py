"""Typed client of the recommendations service."""

from __future__ import annotations

from vodstack.contracts.common import Maturity
from vodstack.contracts.recs import HomeRows, TrainStatus
from vodstack.core.http import ServiceClient


class RecsClient(ServiceClient):
    service = "recs"

    async def rows(
        self, profile_id: int, maturity: Maturity, region: str | None, limit: int = 20
    ) -> HomeRows:
        params: dict[str, str | int] = {"maturity": maturity.value, "limit": limit}
        if region:
            params["region"] = region
        return await self.get_model(f"/v1/profiles/{profile_id}/rows", HomeRows, params=params)

    async def train(self) -> TrainStatus:
        return await self.send_model("POST", "/v1/train", TrainStatus)

    async def train_status(self) -> TrainStatus:
        return await self.get_model("/v1/train", TrainStatus)
