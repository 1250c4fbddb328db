"""Alembic environment of the popularity sink (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.events.consumers.popularity import metadata

run_env(metadata)
