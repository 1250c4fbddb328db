"""Alembic environment of a history shard (run by vodstack.core.migrations.upgrade per shard)."""

from vodstack.core.migrations import run_env
from vodstack.services.history.models import metadata

run_env(metadata)
