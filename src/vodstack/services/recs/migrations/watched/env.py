"""Alembic environment of the recs watched sink (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.recs.tables import watched_metadata

run_env(watched_metadata)
