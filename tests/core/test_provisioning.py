"""Creating the PostgreSQL database and schema a URL names (history's shards, per generation)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text

from tests.support.postgres import admin_connection, url_of
from vodstack.core.db import make_engine
from vodstack.core.provisioning import ProvisioningError, ensure_database

pytestmark = pytest.mark.postgres


def test_a_missing_database_and_its_schema_are_created_once() -> None:
    name = f"vodstack_test_{secrets.token_hex(6)}"
    url = f"{url_of(name)}?options=-csearch_path%3Dg1_s3"
    try:
        ensure_database(url)
        ensure_database(url)  # there already: nothing to do
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_schema()")).scalar_one() == "g1_s3"
        engine.dispose()
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_name_that_is_not_plain_is_refused_before_any_ddl() -> None:
    with pytest.raises(ProvisioningError, match="not a plain PostgreSQL name"):
        ensure_database(url_of("vodstack_test_x;drop"))
