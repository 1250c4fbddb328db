"""Alembic environment of the recs store (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.recs.tables import store_metadata

run_env(store_metadata)
