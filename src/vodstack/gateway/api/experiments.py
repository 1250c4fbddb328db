"""`/api/admin/experiments`: A/B experiments, for administrators (docs/experiments.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from vodstack.contracts.experiments import Experiment, ExperimentCreate, ExperimentKey, Results
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

router = APIRouter(prefix="/api/admin/experiments", tags=["experiments"])
Key = Annotated[ExperimentKey, Path()]


@router.get("", response_model=list[Experiment], responses=errors(401, 403))
async def list_experiments(_: AdminDep, clients: UpstreamsDep) -> list[Experiment]:
    """Every experiment, newest first, with its state (scheduled, running, stopped)."""
    return await clients.experiments.experiments()


@router.post("", status_code=201, response_model=Experiment, responses=errors(401, 403, 409, 422))
async def create(body: ExperimentCreate, _: AdminDep, clients: UpstreamsDep) -> Experiment:
    """Define an experiment: cells with shares (basis points adding up to 10000; the first
    is the control), a start (default now) and an optional stop."""
    return await clients.experiments.create(body)


@router.post("/{key}/stop", response_model=Experiment, responses=errors(401, 403, 404))
async def stop(key: Key, _: AdminDep, clients: UpstreamsDep) -> Experiment:
    """Stop now: everyone gets the default from here on; results stay."""
    return await clients.experiments.stop(key)


@router.get("/{key}/results", response_model=Results, responses=errors(401, 403, 404))
async def results(key: Key, _: AdminDep, clients: UpstreamsDep) -> Results:
    """Per-cell metrics with 95% confidence intervals, Welch's t-test against the control,
    and the sample-ratio-mismatch check."""
    return await clients.experiments.results(key)
