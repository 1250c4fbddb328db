"""HTTP routes of the experiments service (contract in contracts/experiments.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, status

from vodstack.contracts.experiments import (
    Assignment,
    AssignmentRequest,
    Experiment,
    ExperimentCreate,
    Results,
)
from vodstack.services.experiments import results
from vodstack.services.experiments.definitions import Clock, Definitions
from vodstack.services.experiments.exposures import Exposures
from vodstack.services.experiments.metrics import ExperimentSink


@dataclass(frozen=True)
class ExperimentsApp:
    definitions: Definitions
    exposures: Exposures
    sink: ExperimentSink
    heartbeat_s: float
    clock: Clock


async def _app(request: Request) -> ExperimentsApp:
    return cast(ExperimentsApp, request.app.state.experiments)


App = Annotated[ExperimentsApp, Depends(_app)]
router = APIRouter(prefix="/v1/experiments", tags=["experiments"])
ROUTERS = (router,)


@router.get("")
def list_experiments(app: App) -> list[Experiment]:
    return app.definitions.all()


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: ExperimentCreate, app: App) -> Experiment:
    return app.definitions.create(body)


@router.get("/{key}")
def get(key: str, app: App) -> Experiment:
    return app.definitions.get(key)


@router.post("/{key}/stop")
def stop(key: str, app: App) -> Experiment:
    return app.definitions.stop(key)


@router.post("/{key}/assignments")
async def assign(key: str, body: AssignmentRequest, app: App) -> Assignment:
    experiment = await asyncio.to_thread(app.definitions.get, key)
    return await app.exposures.assign(experiment, body, app.clock())


@router.get("/{key}/results")
def get_results(key: str, app: App) -> Results:
    experiment = app.definitions.get(key)
    members = app.sink.members(key, experiment.stop_at)
    return results.compute(experiment, members, app.heartbeat_s, app.clock())
