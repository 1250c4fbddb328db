"""Alembic environment of the billing database (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.billing.models import Base

run_env(Base.metadata)
