"""Alembic environment of the playback database (run by vodstack.core.migrations.upgrade)."""

from vodstack.core.migrations import run_env
from vodstack.services.playback.models import Base

run_env(Base.metadata)
