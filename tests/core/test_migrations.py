"""Every service's migrations, on SQLite and on PostgreSQL: an empty database is built to exactly
the models' schema; a database the previous release made with `create_all` keeps its rows and
is brought to the newest revision; concurrent starts migrate once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, func, inspect, select, text

from tests.support.postgres import throwaway_database
from vodstack.core import migrations
from vodstack.core.db import make_engine
from vodstack.events.consumers import popularity, telemetry
from vodstack.pipeline.jobs import database as pipeline_database
from vodstack.pipeline.jobs.models import Base as JobsBase
from vodstack.pipeline.service.uploads import UploadBase
from vodstack.services.accounts import app as accounts_app
from vodstack.services.accounts.models import Base as AccountsBase
from vodstack.services.billing import app as billing_app
from vodstack.services.billing.models import Base as BillingBase
from vodstack.services.catalog import app as catalog_app
from vodstack.services.catalog.models import Base as CatalogBase
from vodstack.services.experiments import app as experiments_app
from vodstack.services.experiments import metrics as experiments_activity
from vodstack.services.experiments.models import Base as ExperimentsBase
from vodstack.services.history import shard as history_shard
from vodstack.services.history.models import metadata as history_metadata
from vodstack.services.playback import app as playback_app
from vodstack.services.playback.models import Base as PlaybackBase
from vodstack.services.recs import repository as recs_store
from vodstack.services.recs import tables as recs_tables
from vodstack.services.recs import watched as recs_watched


@dataclass(frozen=True)
class Service:
    name: str
    directory: Path
    metadatas: tuple[MetaData, ...]
    # A row the previous release could have written, and the table to find it in.
    seed_sql: str
    seed_table: str

    @property
    def metadata(self) -> MetaData:
        merged = MetaData()
        for metadata in self.metadatas:
            for table in metadata.tables.values():
                table.to_metadata(merged)
        return merged


SERVICES = [
    Service(
        "accounts",
        accounts_app.MIGRATIONS,
        (AccountsBase.metadata,),
        "INSERT INTO plans (code, name, max_height, max_streams, price_cents) "
        "VALUES ('basic', 'Basic', 720, 1, 799)",
        "plans",
    ),
    Service(
        "catalog",
        catalog_app.MIGRATIONS,
        (CatalogBase.metadata,),
        "INSERT INTO genres (id, slug, name) VALUES (7, 'drama', 'Drama')",
        "genres",
    ),
    Service(
        "playback",
        playback_app.MIGRATIONS,
        (PlaybackBase.metadata,),
        "INSERT INTO account_locks (account_id, touched_at) VALUES (42, '2026-01-01 00:00:00')",
        "account_locks",
    ),
    Service(
        "pipeline",
        pipeline_database.MIGRATIONS,
        (JobsBase.metadata, UploadBase.metadata),
        "INSERT INTO uploads (id, title_id, filename, size, state, created_at) "
        "VALUES ('u1', 1, 'a.mp4', 10, 'complete', 1.0)",
        "uploads",
    ),
    Service(
        "billing",
        billing_app.MIGRATIONS,
        (BillingBase.metadata,),
        "INSERT INTO idempotency_keys (key, request_hash, created_at) "
        "VALUES ('k1', 'h1', '2026-01-01 00:00:00')",
        "idempotency_keys",
    ),
    Service(
        "experiments",
        experiments_app.MIGRATIONS,
        (ExperimentsBase.metadata,),
        "INSERT INTO experiments (key, description, cells, salt, start_at) "
        "VALUES ('abr', 'ABR', '[]', 's1', '2026-01-01 00:00:00')",
        "experiments",
    ),
    Service(
        "history",  # one shard's database (every shard is migrated alike)
        history_shard.MIGRATIONS,
        (history_metadata,),
        "INSERT INTO positions (profile_id, title_id, position_s, duration_s, watched, "
        "updated_at) VALUES (5, 10, 420.0, 1000.0, 0, 1767225600.0)",
        "positions",
    ),
    Service(
        "popularity",
        popularity.MIGRATIONS,
        (popularity.metadata,),
        "INSERT INTO plays (title_id, region, hour, plays) VALUES (3, 'eu', 500000, 2)",
        "plays",
    ),
    Service(
        "telemetry",
        telemetry.MIGRATIONS,
        (telemetry.metadata,),
        "INSERT INTO counters (bucket, metric, region, edge, abr, title_id, value) "
        "VALUES (1767225600, 'starts', 'eu', 'edge-eu-0', 'bola', 3, 2.0)",
        "counters",
    ),
    Service(
        "recs",
        recs_store.MIGRATIONS,
        (recs_tables.store_metadata,),
        "INSERT INTO runs (model, profiles, titles, interactions, seconds, at) "
        "VALUES ('ease', 1, 0, 9, 0.5, '2026-01-01T00:00:00+00:00')",
        "runs",
    ),
    Service(
        "recs_watched",
        recs_watched.MIGRATIONS,
        (recs_tables.watched_metadata,),
        "INSERT INTO watched (profile_id, title_id, position_s, duration_s, completed, region, "
        "first_at, last_at) VALUES (1, 10, 600.0, 1200.0, 0, 'eu', 1767225600.0, 1767225900.0)",
        "watched",
    ),
    Service(
        "experiments_activity",
        experiments_activity.MIGRATIONS,
        (experiments_activity.metadata,),
        "INSERT INTO exposures (experiment, profile_id, account_id, cell, first_hour) "
        "VALUES ('abr', 1, 10, 'bola', 491000)",
        "exposures",
    ),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.sqlite'}"
        return
    with throwaway_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


by_name = pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])


def _revision(engine: Engine, service: Service) -> str | None:
    with engine.connect() as connection:
        return migrations.current_revision(connection, service.name)


def _drift(engine: Engine, service: Service) -> list[object]:
    with engine.connect() as connection:
        return migrations.schema_drift(connection, service.metadata)


@by_name
def test_an_empty_database_is_built_to_the_models_schema(engine: Engine, service: Service) -> None:
    assert _revision(engine, service) is None

    migrations.upgrade(engine, service.name, service.directory)

    head = migrations.head_revision(service.name, service.directory)
    assert head is not None
    assert _revision(engine, service) == head
    assert _drift(engine, service) == []
    assert inspect(engine).has_table(migrations.version_table(service.name))


@by_name
def test_a_previous_release_database_keeps_its_rows(engine: Engine, service: Service) -> None:
    # The previous release: tables from create_all, no version table, a row written.
    service.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(text(service.seed_sql))

    migrations.upgrade(engine, service.name, service.directory)

    assert _revision(engine, service) == migrations.head_revision(service.name, service.directory)
    assert _drift(engine, service) == []
    with engine.connect() as connection:
        table = service.metadata.tables[service.seed_table]
        assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 1


@by_name
def test_an_older_database_missing_a_table_gets_it(engine: Engine, service: Service) -> None:
    # A release before the last one lacked some tables (e.g. catalog episodes, pipeline
    # priorities): create_all of every table but the last one the models declare.
    tables = list(service.metadata.sorted_tables)
    service.metadata.create_all(engine, tables=tables[:-1])
    assert not inspect(engine).has_table(tables[-1].name)

    migrations.upgrade(engine, service.name, service.directory)

    assert _drift(engine, service) == []


@by_name
def test_upgrading_again_changes_nothing(engine: Engine, service: Service) -> None:
    migrations.upgrade(engine, service.name, service.directory)
    migrations.upgrade(engine, service.name, service.directory)

    assert _drift(engine, service) == []


def test_instances_starting_together_migrate_once(engine: Engine) -> None:
    service = SERVICES[1]
    errors: list[BaseException] = []

    def start() -> None:
        try:
            migrations.upgrade(engine, service.name, service.directory)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert _drift(engine, service) == []


def test_tables_the_models_do_not_declare_are_left_alone(engine: Engine) -> None:
    # Playback's retired `bookmarks` table from older releases: never read, never dropped.
    service = SERVICES[2]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bookmarks (id integer PRIMARY KEY)"))
        connection.execute(text("INSERT INTO bookmarks (id) VALUES (1)"))

    migrations.upgrade(engine, service.name, service.directory)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM bookmarks")).scalar_one() == 1


def test_the_catalog_search_table_is_a_postgresql_migration(engine: Engine) -> None:
    service = SERVICES[1]
    migrations.upgrade(engine, service.name, service.directory)

    has_search_table = inspect(engine).has_table("titles_search")
    assert has_search_table is (engine.dialect.name == "postgresql")
