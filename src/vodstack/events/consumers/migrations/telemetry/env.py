"""Alembic environment of the telemetry sink (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.events.consumers.telemetry import metadata

run_env(metadata)
