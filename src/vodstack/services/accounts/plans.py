"""The subscription plans: what each may stream, and their idempotent seeding at start-up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.accounts import Plan
from vodstack.contracts.plans import PLANS
from vodstack.services.accounts.models import PlanRow

__all__ = ["PLANS", "plan_from_row", "seed_plans"]


def plan_from_row(row: PlanRow) -> Plan:
    return Plan(
        code=row.code,
        name=row.name,
        max_height=row.max_height,
        max_streams=row.max_streams,
        price_cents=row.price_cents,
    )


def _apply(row: PlanRow, plan: Plan) -> None:
    row.name = plan.name
    row.max_height = plan.max_height
    row.max_streams = plan.max_streams
    row.price_cents = plan.price_cents


def _upsert_plans(db: Session) -> None:
    rows = {row.code: row for row in db.scalars(select(PlanRow))}
    for plan in PLANS:
        row = rows.get(plan.code)
        if row is None:
            row = PlanRow(code=plan.code)
            db.add(row)
        # Existing rows are brought up to date so a price change in code reaches the database.
        _apply(row, plan)


def seed_plans(sessions: sessionmaker[Session]) -> None:
    """Insert missing plans and update changed ones; safe to run at every start-up."""
    try:
        with sessions.begin() as db:
            _upsert_plans(db)
    except IntegrityError:
        # Another instance inserted the same plans between our read and our write; retry once,
        # now as a pure update.
        with sessions.begin() as db:
            _upsert_plans(db)
