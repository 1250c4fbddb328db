"""Alembic environment of the experiments database (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.experiments.models import Base

run_env(Base.metadata)
