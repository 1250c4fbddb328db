"""Alembic environment of the catalog database (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.catalog.models import Base

run_env(Base.metadata)
