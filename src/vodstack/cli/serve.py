"""`vodstack serve NAME`: run one service in this process (the supervisor's child command)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import typer
import uvicorn

from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.chaos import ChaosMiddleware, RuleFile, rules_path
from vodstack.core.context import configure_logging
from vodstack.core.heap import freeze_startup_heap
from vodstack.supervisor.registry import ServerKind, find_service


def _settings(settings_file: Path | None) -> Settings:
    if settings_file is not None:
        return Settings.from_child_json(settings_file.read_text())
    return with_secrets(load_settings())


def serve(
    name: str = typer.Argument(..., help="Service to run, e.g. accounts, catalog, gateway."),
    settings_file: Path | None = typer.Option(
        None, "--settings-file", help="Settings written by the supervisor (default: environment)."
    ),
    instance: str | None = typer.Option(
        None, "--instance", help="This instance's name (supervisor.instances); logs use it."
    ),
    port: int | None = typer.Option(None, "--port", help="Listen here instead of the default."),
    reuse_port: bool = typer.Option(
        False, "--reuse-port", help="Share the port with other instances (SO_REUSEPORT)."
    ),
    region: str | None = typer.Option(
        None, "--region", help="The region this instance is placed in (its clients prefer it)."
    ),
) -> None:
    """Run one service until SIGTERM (used by `vodstack up`; handy for debugging one service)."""
    settings = _settings(settings_file)
    if region is not None:
        settings = settings.model_copy(update={"region": region})
    configure_logging(instance or name, settings.log_level)
    try:
        spec = find_service(settings, name)
    except KeyError:
        raise typer.BadParameter(f"unknown service {name!r}") from None
    target = spec.load()
    if spec.kind is ServerKind.RUNNER:
        target(settings, name)
        return
    app = target(settings)
    if settings.chaos.enabled:
        rules = RuleFile(rules_path(settings.data_dir / "run"))
        app.add_middleware(ChaosMiddleware, service=name, rules=rules, secret=settings.secret())
    config = server_config(app, settings.host, port or spec.port)
    freeze_startup_heap()  # the imports and the app: no collection walks them again
    if not reuse_port:
        uvicorn.Server(config).run()
        return
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.create_server(
        (settings.host, port or spec.port), family=family, reuse_port=True
    )
    uvicorn.Server(config).run(sockets=[listener])


def server_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """How every FastAPI service is served (tests serve the gateway with the same config)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # One worker process per service: scale out by adding instances, not forks.
        workers=None,
        lifespan="on",
        # uvicorn would otherwise take the client address from X-Forwarded-For whenever the
        # peer is 127.0.0.1; the gateway decides whom to believe (`trusted_proxies`).
        proxy_headers=False,
    )
