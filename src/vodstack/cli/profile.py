"""`vodstack up --profile`: which engines a platform runs on (docs/deployment.md).

`local` is the embedded default (SQLite, in-process caches, a local directory, the pipeline's
own worker processes); `production` needs a config naming PostgreSQL, Redis, S3 and the Celery
executor, and checks that each answers before anything starts (supervisor.production).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import typer

from vodstack.config import Mode, Settings
from vodstack.supervisor.production import ProfileRefused, check_production, redacted


class Profile(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


ProfileOption = typer.Option(
    Profile.LOCAL,
    "--profile",
    help="local: embedded engines. production: PostgreSQL, Redis, S3 and Celery workers named "
    "by --config, each checked before anything starts (docs/deployment.md).",
)
DemoOption = typer.Option(
    None,
    "--demo/--no-demo",
    help="Seed demo accounts and titles (default: on, off with --profile production).",
)


def seeds_demo(profile: Profile, demo: bool | None) -> bool:
    """Demo data unless asked otherwise; never by default on production engines."""
    return demo if demo is not None else profile is Profile.LOCAL


def apply_profile(profile: Profile, settings: Settings, config: Path | None) -> Settings:
    """The settings to run with; raises `ProfileRefused` naming what is missing or unreachable."""
    if profile is Profile.LOCAL:
        return settings
    if config is None and not os.environ.get("VODSTACK_CONFIG"):
        raise ProfileRefused("--profile production needs --config FILE")
    settings = settings.model_copy(update={"mode": Mode.PRODUCTION})
    check_production(settings)
    return settings


def announce(profile: Profile, settings: Settings, say: Callable[[str], object]) -> None:
    if profile is Profile.PRODUCTION:
        say(
            f"pipeline tasks go to Celery at {redacted(settings.pipeline.broker_url)}; "
            f"{settings.pipeline.celery_workers} worker(s) run here, more with "
            "`vodstack worker --scratch DIR --config FILE` on any host"
        )
