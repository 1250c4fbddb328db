"""`vodstack up --profile production` starts nothing until its config names PostgreSQL, Redis,
S3 and the Celery executor, and every one of them answers; it exits 2 naming what is missing
or unreachable. The probes run against the machine's real servers (and a SeaweedFS)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.ports import free_port
from tests.support.postgres import throwaway_database
from tests.support.redis_server import REDIS_URL
from tests.support.seaweedfs import SeaweedFS, seaweedfs
from vodstack.config.settings import (
    EventLogBackend,
    EventsSettings,
    HistorySettings,
    PipelineExecutor,
    PipelineSettings,
    RedisSettings,
    Settings,
    StorageBackend,
    StorageSettings,
    load_settings,
)
from vodstack.supervisor.production import (
    DATABASE_SERVICES,
    ProfileRefused,
    check_production,
    dependencies,
    redacted,
    requirements,
    unreachable,
)

__all__ = ["seaweedfs"]

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
REPO = Path(__file__).resolve().parents[2]


def _closed(scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{free_port()}"


def production(tmp_path: Path, **engines: Any) -> Settings:
    """Settings naming every engine: closed ports unless given."""
    closed_s3 = StorageSettings(backend=StorageBackend.S3, s3_endpoint=_closed("http"))
    fields: dict[str, Any] = {
        "data_dir": tmp_path,
        "secret_key": SecretStr("x" * 40),
        "database_urls": {
            service: engines.get(
                "postgres", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/db"
            )
            for service in DATABASE_SERVICES
        },
        "history": HistorySettings(
            shard_url_template=engines.get(
                "history",
                f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/h_g{{generation}}_s{{shard}}",
            )
        ),
        "redis": RedisSettings(url=engines.get("redis", _closed("redis"))),
        "events": EventsSettings(
            backend=EventLogBackend.REDIS, redis_url=engines.get("events", _closed("redis"))
        ),
        "storage": engines.get("storage", closed_s3),
        "pipeline": PipelineSettings(
            executor=PipelineExecutor.CELERY, broker_url=engines.get("broker", _closed("amqp"))
        ),
    }
    return load_settings(**fields)


def test_the_embedded_defaults_are_refused_naming_each_missing_engine(tmp_path: Path) -> None:
    problems = requirements(load_settings(data_dir=tmp_path))
    assert [p.split(" must")[0] for p in problems] == [
        *(f"database_urls.{service}" for service in DATABASE_SERVICES),
        "history.shard_url_template",
        "redis.url",
        "events.backend",
        "storage.backend",
        "pipeline.executor",
        "secret_key",
    ]
    assert requirements(production(tmp_path)) == []


def test_listening_on_every_interface_needs_every_service_named(tmp_path: Path) -> None:
    settings = production(tmp_path).model_copy(update={"host": "0.0.0.0"})  # noqa: S104
    (problem,) = requirements(settings)
    assert problem.startswith("service_hosts must name origin, accounts, catalog")
    named = {spec: spec for spec in ("gateway", "origin", "accounts", "catalog", "playback")}
    partial = settings.model_copy(update={"service_hosts": named})
    (problem,) = requirements(partial)
    assert problem.startswith("service_hosts must name pipeline, events")


def test_every_unreachable_engine_is_named_with_its_reason(tmp_path: Path) -> None:
    settings = production(tmp_path)
    failed = unreachable(dependencies(settings))
    assert [dependency.name for dependency, _ in failed] == [
        *(f"PostgreSQL for {service}" for service in DATABASE_SERVICES),
        "PostgreSQL for history shards",
        "Redis",
        "Redis for the event log",
        "S3 object store",
        "the Celery broker",
    ]
    for _, reason in failed:
        assert reason  # each says why (connection refused, timed out...)
    with pytest.raises(ProfileRefused, match=r"PostgreSQL for accounts at .* is unreachable"):
        check_production(settings)


@pytest.mark.redis
@pytest.mark.postgres
def test_with_every_engine_answering_the_profile_starts(
    tmp_path: Path, seaweedfs: SeaweedFS
) -> None:
    storage = seaweedfs.settings(f"t-{uuid.uuid4().hex[:20]}")  # created by the check
    with throwaway_database() as history:
        _check_with(
            tmp_path, storage, f"{history}?options=-csearch_path%3Dg{{generation}}_s{{shard}}"
        )


def _check_with(tmp_path: Path, storage: StorageSettings, history: str) -> None:
    settings = production(
        tmp_path,
        postgres=POSTGRES,
        history=history,
        redis=REDIS_URL,
        events=REDIS_URL,
        storage=storage,
        broker=RABBITMQ,
    )
    check_production(settings)  # raises naming the engine if one of the machine's is down


def test_a_listener_that_is_not_an_amqp_broker_is_named(tmp_path: Path) -> None:
    # A web server at the broker's address answers the AMQP header with HTTP: a wrong URL.
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def answer_http() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(8)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        server = threading.Thread(target=answer_http, daemon=True)
        server.start()
        port = listener.getsockname()[1]
        settings = production(tmp_path, broker=f"amqp://127.0.0.1:{port}//")
        broker = [d for d in dependencies(settings) if d.name == "the Celery broker"]
        ((_, reason),) = unreachable(broker)
        server.join(timeout=30)
    assert "not an AMQP 0-9-1 broker" in reason


def test_passwords_never_reach_a_message() -> None:
    assert redacted("amqp://guest:s3cret@mq:5672//") == "amqp://guest:***@mq:5672//"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    settings = Settings(database_urls={"accounts": "postgresql+psycopg://u:s3cret@db:5432/a"})
    (dependency,) = dependencies(settings)
    assert "s3cret" not in dependency.where


def _up(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    env["VODSTACK_SECRET_KEY"] = "y" * 40
    command = [sys.executable, "-m", "vodstack", "up", "--data-dir", str(tmp_path / "data")]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=180, cwd=REPO
    )


def test_vodstack_up_exits_2_naming_the_unreachable_engines(tmp_path: Path) -> None:
    config = tmp_path / "production.toml"
    # The sample config with every engine moved to a closed port.
    text = (REPO / "deploy" / "production.toml").read_text()
    for old in ("127.0.0.1:5432", "127.0.0.1:6379", "127.0.0.1:8333", "127.0.0.1:5672"):
        text = text.replace(old, f"127.0.0.1:{free_port()}")
    config.write_text(text)
    result = _up(tmp_path, "--profile", "production", "--config", str(config))
    output = " ".join(result.stdout.split())
    assert result.returncode == 2, output + result.stderr
    for name in (
        "PostgreSQL for catalog",
        "PostgreSQL for history shards",
        "Redis at redis://",
        "S3 object store",
        "Celery broker",
    ):
        assert name in output
    assert not (tmp_path / "data" / "run" / "status.json").exists(), "nothing was started"


def test_vodstack_up_production_without_a_config_says_so(tmp_path: Path) -> None:
    result = _up(tmp_path, "--profile", "production")
    assert result.returncode == 2
    assert "--profile production needs --config FILE" in " ".join(result.stdout.split())
