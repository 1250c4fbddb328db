"""Alembic environment of the pipeline database: the job tables and the uploads table, one
database and one revision history (run by vodstack.core.migrations.upgrade)."""

from sqlalchemy import MetaData

from vodstack.core.migrations import run_env
from vodstack.pipeline.jobs.models import Base
from vodstack.pipeline.service.uploads import UploadBase

metadata = MetaData()
for base in (Base, UploadBase):
    for table in base.metadata.tables.values():
        table.to_metadata(metadata)

run_env(metadata)
