"""Typed client of the experiments service."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.experiments import (
    Assignment,
    AssignmentRequest,
    Experiment,
    ExperimentCreate,
    Results,
)
from vodstack.core.http import ServiceClient

_experiments = TypeAdapter(list[Experiment])


class ExperimentsClient(ServiceClient):
    service = "experiments"

    async def experiments(self) -> list[Experiment]:
        return await self.get_as("/v1/experiments", _experiments)

    async def create(self, body: ExperimentCreate) -> Experiment:
        return await self.send_model(
            "POST", "/v1/experiments", Experiment, json=body.model_dump(mode="json")
        )

    async def experiment(self, key: str) -> Experiment:
        return await self.get_model(f"/v1/experiments/{key}", Experiment)

    async def stop(self, key: str) -> Experiment:
        return await self.send_model("POST", f"/v1/experiments/{key}/stop", Experiment)

    async def assign(self, key: str, account_id: int, profile_id: int) -> Assignment:
        body = AssignmentRequest(account_id=account_id, profile_id=profile_id).model_dump()
        path = f"/v1/experiments/{key}/assignments"
        return await self.send_model("POST", path, Assignment, json=body)

    async def results(self, key: str) -> Results:
        return await self.get_model(f"/v1/experiments/{key}/results", Results)
