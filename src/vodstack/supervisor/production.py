"""The production profile: the same services, on the engines production runs on.

`vodstack up --profile production --config FILE` starts nothing until the settings name
PostgreSQL for every service that has a database, Redis for the shared state (caches, rate
limits, registry) and for the event log, an S3 bucket for objects and the Celery executor for
the pipeline (`requirements`); then it reaches each of them (`unreachable`) and refuses to
start, naming every one it could not reach. A platform that would start and then fail its
first request (or, worse, quietly fall back to a local file) is what this prevents.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from vodstack.config import Settings
from vodstack.config.settings import EventLogBackend, PipelineExecutor, StorageBackend
from vodstack.core.provisioning import ProvisioningError, ensure_database
from vodstack.storage import ObjectStoreUnavailable, prepare_object_store
from vodstack.supervisor.registry import platform_services

# The services with a database of their own (Settings.database_url).
DATABASE_SERVICES = (
    "accounts",
    "catalog",
    "playback",
    "pipeline",
    "billing",
    "experiments",
    "popularity",
    "telemetry",
    "recs",
    "recs_watched",
    "experiments_activity",
)
PROBE_TIMEOUT_S = 3.0
# AMQP 0-9-1's protocol header; a broker answers it with a Connection.Start method frame.
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_AMQP_METHOD_FRAME = 1
_EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 - compared with, never bound


class ProfileRefused(ValueError):
    """The settings (or the engines they name) cannot run the production profile."""


def redacted(url: str) -> str:
    """`url` with its password replaced, fit for a message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def requirements(settings: Settings) -> list[str]:
    """What the settings lack for the production profile, one sentence each (empty: none)."""
    problems = []
    for service in DATABASE_SERVICES:
        url = settings.database_urls.get(service)
        if url is None or not url.startswith("postgresql"):
            problems.append(
                f"database_urls.{service} must be a PostgreSQL URL "
                f"(postgresql+psycopg://USER:PASSWORD@HOST:5432/DB), got {url!r}"
            )
    template = settings.history.shard_url_template
    if template is None or not template.startswith("postgresql"):
        problems.append(
            "history.shard_url_template must be a PostgreSQL URL with {generation} and {shard} "
            "(e.g. postgresql+psycopg://USER:PASSWORD@HOST:5432/vodstack_history"
            "?options=-csearch_path%3Dg{generation}_s{shard}), got " + repr(template)
        )
    if settings.redis.url is None:
        problems.append("redis.url must be set (redis://HOST:6379/0)")
    if settings.events.backend is not EventLogBackend.REDIS:
        problems.append('events.backend must be "redis" (the event log in Redis Streams)')
    if settings.storage.backend is not StorageBackend.S3:
        problems.append('storage.backend must be "s3" (with storage.s3_endpoint and its keys)')
    if settings.pipeline.executor is not PipelineExecutor.CELERY:
        problems.append('pipeline.executor must be "celery" (with pipeline.broker_url)')
    if settings.secret_key is None:
        problems.append("secret_key must be set (VODSTACK_SECRET_KEY, never in the file)")
    if settings.host in _EVERY_INTERFACE:
        # Servers listen everywhere; a service not in service_hosts would be "reached" there.
        unnamed = [
            s.name for s in platform_services(settings) if s.name not in settings.service_hosts
        ]
        if unnamed:
            problems.append(
                f"service_hosts must name {', '.join(unnamed)}: with host = {settings.host!r} "
                "servers listen on every interface, and no service can be reached there"
            )
    return problems


@dataclass(frozen=True)
class Dependency:
    """One engine the platform needs, and how to tell that it answers."""

    name: str  # e.g. "PostgreSQL for catalog"
    where: str  # its address, password hidden
    probe: Callable[[], None]  # raises with the reason when it does not answer


def _postgres(url: str) -> Callable[[], None]:
    def probe() -> None:
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": int(PROBE_TIMEOUT_S)}
        )
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()

    return probe


def _history_shard(url: str) -> Callable[[], None]:
    """The first shard's database (or schema), created if missing, answers."""

    def probe() -> None:
        try:
            ensure_database(url)
        except ProvisioningError as exc:
            raise ValueError(str(exc)) from exc
        _postgres(url)()

    return probe


def _where(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return redacted(url)


def _redis(url: str) -> Callable[[], None]:
    def probe() -> None:
        client = redis.Redis.from_url(
            url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=PROBE_TIMEOUT_S
        )
        try:
            client.ping()
        finally:
            client.close()

    return probe


def _amqp(url: str) -> Callable[[], None]:
    parts = urlsplit(url)
    default_port = 5671 if parts.scheme == "amqps" else 5672

    def probe() -> None:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        with socket.create_connection(address, timeout=PROBE_TIMEOUT_S) as sock:
            if parts.scheme == "amqps":
                return  # the TLS handshake is the client library's; a listener is enough here
            sock.sendall(_AMQP_HEADER)
            answer = sock.recv(8)
        if not answer or answer[0] != _AMQP_METHOD_FRAME:
            raise ConnectionError(f"not an AMQP 0-9-1 broker (it answered {answer[:8]!r})")

    return probe


def _broker(url: str) -> Callable[[], None]:
    scheme = urlsplit(url).scheme
    if scheme in ("amqp", "amqps", "pyamqp"):
        return _amqp(url)
    if scheme in ("redis", "rediss"):
        return _redis(url)

    def unsupported() -> None:
        raise ValueError(f"unsupported broker scheme {scheme!r} (amqp:// or redis://)")

    return unsupported


def _object_store(settings: Settings) -> Callable[[], None]:
    def probe() -> None:
        prepare_object_store(settings)  # reaches the endpoint; creates a missing bucket

    return probe


def dependencies(settings: Settings) -> list[Dependency]:
    """Every engine the settings name, in the order they are checked."""
    found = []
    for service in DATABASE_SERVICES:
        url = settings.database_urls.get(service)
        if url is not None:
            found.append(Dependency(f"PostgreSQL for {service}", _where(url), _postgres(url)))
    template = settings.history.shard_url_template
    if template is not None and template.startswith("postgresql"):
        url = template.format(generation=0, shard=0)
        found.append(Dependency("PostgreSQL for history shards", _where(url), _history_shard(url)))
    if settings.redis.url is not None:
        found.append(Dependency("Redis", redacted(settings.redis.url), _redis(settings.redis.url)))
    if settings.events.backend is EventLogBackend.REDIS:
        url = settings.events.redis_url
        found.append(Dependency("Redis for the event log", redacted(url), _redis(url)))
    if settings.storage.backend is StorageBackend.S3:
        where = f"{settings.storage.s3_endpoint or 'AWS'} bucket {settings.storage.s3_bucket}"
        found.append(Dependency("S3 object store", where, _object_store(settings)))
    if settings.pipeline.executor is PipelineExecutor.CELERY:
        url = settings.pipeline.broker_url
        found.append(Dependency("the Celery broker", redacted(url), _broker(url)))
    return found


def unreachable(found: list[Dependency]) -> list[tuple[Dependency, str]]:
    """The dependencies that did not answer, each with the reason."""
    failed = []
    for dependency in found:
        try:
            dependency.probe()
        except (
            OSError,
            SQLAlchemyError,
            redis.RedisError,
            ObjectStoreUnavailable,
            ValueError,
            ModuleNotFoundError,  # a URL naming a driver this install lacks
        ) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failed.append((dependency, reason))
    return failed


def check_production(settings: Settings) -> None:
    """Raise `ProfileRefused` naming every requirement missing, else every engine unreachable."""
    problems = requirements(settings)
    if problems:
        raise ProfileRefused("the production profile needs: \n  - " + "\n  - ".join(problems))
    failed = unreachable(dependencies(settings))
    if failed:
        lines = [f"{dep.name} at {dep.where} is unreachable: {why}" for dep, why in failed]
        raise ProfileRefused("\n  - ".join(["cannot start the production profile:", *lines]))
