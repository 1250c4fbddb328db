"""Alembic environment of the experiments consumer's sink (exposures and activity; run by
vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.experiments.metrics import metadata

run_env(metadata)
