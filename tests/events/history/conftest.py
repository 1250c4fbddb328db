"""The history shards on every engine the service supports: SQLite files (the default) and
PostgreSQL, one schema per shard in a throw-away database (the schema-per-shard URL template)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.postgres import throwaway_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shard_template(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str | None]]:
    """A store's name -> its shard URL template (None: SQLite files under the store's root)."""
    if request.param == "sqlite":
        yield lambda name: None
        return
    with throwaway_database() as url:
        yield lambda name: f"{url}?options=-csearch_path%3D{name}_g{{generation}}_s{{shard}}"
