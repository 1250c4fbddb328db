"""Alembic environment of the accounts database (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.accounts.models import Base

run_env(Base.metadata)
