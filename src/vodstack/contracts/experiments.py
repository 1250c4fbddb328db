"""The experiments service's API (internal; admins reach it through the gateway).

    GET  /v1/experiments                         -> list[Experiment]
    POST /v1/experiments                         ExperimentCreate -> Experiment (201);
                                                 409 experiment_exists
    GET  /v1/experiments/{key}                   -> Experiment; 404 no_experiment
    POST /v1/experiments/{key}/stop              -> Experiment (stopped now)
    POST /v1/experiments/{key}/assignments       AssignmentRequest -> Assignment: the member's
                                                 cell (None when not running), exposure logged
    GET  /v1/experiments/{key}/results           -> Results (from the events log)

The two experiments the platform acts on are named here, with the cells it understands.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

ExperimentKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$")]
CellName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]

#: The ABR algorithm of both players; cells are algorithm names (player/abr/registry.py).
ABR_EXPERIMENT = "abr-algorithm"
#: The order of the home page's rows; cells are HOME_ROW_ORDERS' names.
HOME_ROW_EXPERIMENT = "home-row-order"
#: The expected total of a cell's shares: shares are basis points of the population.
TOTAL_SHARE = 10_000


class Cell(BaseModel):
    name: CellName
    share: int = Field(ge=1, le=TOTAL_SHARE, description="Basis points of members (of 10000)")


class ExperimentCreate(BaseModel):
    key: ExperimentKey
    description: str = Field("", max_length=500)
    #: The first cell is the control: the others are compared with it.
    cells: list[Cell] = Field(min_length=2, max_length=10)
    start_at: AwareDatetime | None = None  # None: now
    stop_at: AwareDatetime | None = None  # None: until stopped

    @model_validator(mode="after")
    def _shares_and_names(self) -> ExperimentCreate:
        if sum(cell.share for cell in self.cells) != TOTAL_SHARE:
            raise ValueError(f"cell shares must add up to {TOTAL_SHARE} (basis points)")
        if len({cell.name for cell in self.cells}) != len(self.cells):
            raise ValueError("cell names must differ")
        if self.start_at and self.stop_at and self.stop_at <= self.start_at:
            raise ValueError("stop_at must come after start_at")
        return self


class ExperimentState(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    STOPPED = "stopped"


class Experiment(BaseModel):
    key: str
    description: str
    cells: list[Cell]
    salt: str  # hashed with the account id: allocation is independent between experiments
    start_at: datetime
    stop_at: datetime | None
    state: ExperimentState


class AssignmentRequest(BaseModel):
    account_id: int = Field(ge=1)
    profile_id: int = Field(ge=1)


class Assignment(BaseModel):
    experiment: str
    cell: str | None  # None: the experiment is not running (serve the default)


class Estimate(BaseModel):
    """A mean with its 95% confidence interval."""

    mean: float
    low: float
    high: float


class Comparison(BaseModel):
    """A cell against the control: Welch's t-test on per-member values."""

    difference: float  # cell mean - control mean
    low: float  # 95% confidence interval of the difference
    high: float
    p_value: float


class MetricResult(BaseModel):
    metric: str
    members: int  # with a value (startup time: members who started a stream)
    estimate: Estimate | None
    versus_control: Comparison | None


class CellResult(BaseModel):
    cell: str
    share: int
    members: int
    metrics: list[MetricResult]


class SampleRatio(BaseModel):
    """Chi-square test of exposed members per cell against the configured shares."""

    chi_square: float
    p_value: float
    mismatch: bool  # p < 0.001: the allocation or the exposure logging is broken


class Results(BaseModel):
    experiment: Experiment
    cells: list[CellResult]
    sample_ratio: SampleRatio
    computed_at: datetime
