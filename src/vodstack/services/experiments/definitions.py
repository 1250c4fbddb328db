"""Experiment definitions: created and stopped by admins, read for every assignment.

An experiment's cells and shares cannot change once created (members would move between
cells mid-test and its results would mean nothing); stop it and create another.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.experiments import (
    Cell,
    Experiment,
    ExperimentCreate,
    ExperimentState,
)
from vodstack.core.errors import Conflict, NotFound
from vodstack.services.experiments.models import ExperimentRow

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Definitions:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, body: ExperimentCreate) -> Experiment:
        row = ExperimentRow(
            key=body.key,
            description=body.description,
            cells=[cell.model_dump() for cell in body.cells],
            salt=secrets.token_hex(16),
            start_at=body.start_at or self._clock(),
            stop_at=body.stop_at,
        )
        try:
            with self._sessions.begin() as db:
                db.add(row)
        except IntegrityError as exc:
            raise Conflict(
                f"An experiment {body.key!r} exists already; choose another key.",
                code="experiment_exists",
            ) from exc
        return self._model(row)

    def all(self) -> list[Experiment]:
        with self._sessions() as db:
            rows = db.scalars(select(ExperimentRow).order_by(ExperimentRow.start_at.desc()))
            return [self._model(row) for row in rows]

    def get(self, key: str) -> Experiment:
        with self._sessions() as db:
            return self._model(_row(db, key))

    def stop(self, key: str) -> Experiment:
        now = self._clock()
        with self._sessions.begin() as db:
            row = _row(db, key)
            if row.stop_at is None or row.stop_at > now:
                row.stop_at = now
            return self._model(row)

    def _model(self, row: ExperimentRow) -> Experiment:
        return Experiment(
            key=row.key,
            description=row.description,
            cells=[Cell.model_validate(cell) for cell in row.cells],
            salt=row.salt,
            start_at=row.start_at,
            stop_at=row.stop_at,
            state=_state(row, self._clock()),
        )


def _row(db: Session, key: str) -> ExperimentRow:
    row = db.get(ExperimentRow, key)
    if row is None:
        raise NotFound(f"No experiment {key!r}.", code="no_experiment")
    return row


def _state(row: ExperimentRow, now: datetime) -> ExperimentState:
    if now < row.start_at:
        return ExperimentState.SCHEDULED
    if row.stop_at is not None and now >= row.stop_at:
        return ExperimentState.STOPPED
    return ExperimentState.RUNNING
