"""The gateway with the pipeline service and the CDN origin in-process too (admin media tests).

The pipeline runs its API only (no worker processes) and, unless told otherwise, a fake media
check: a file whose bytes start with `NOT VIDEO` is rejected with a message, anything else is
accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.gateway import Stack, cheap_passwords
from tests.support.service_tokens import authorized, credentials
from vodstack.cdn.origin import create_origin_app
from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.events.log import open_event_log
from vodstack.gateway.app import create_app
from vodstack.pipeline.service.app import create_app as create_pipeline_app
from vodstack.pipeline.service.uploads import SourceCheck
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.billing.app import create_app as create_billing_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.events.app import create_app as create_events_app
from vodstack.services.experiments.app import create_app as create_experiments_app

REJECTED_PREFIX = b"NOT VIDEO"
REJECTION = "the file is not a recognised audio/video format"


def fake_check(path: Path) -> str | None:
    with path.open("rb") as source:
        return REJECTION if source.read(len(REJECTED_PREFIX)) == REJECTED_PREFIX else None


@dataclass
class MediaStack(Stack):
    pipeline: TestClient
    apps: MediaApps


@dataclass(frozen=True)
class MediaApps:
    accounts: FastAPI
    catalog: FastAPI
    pipeline: FastAPI
    billing: FastAPI
    events: FastAPI
    experiments: FastAPI


def media_transports(settings: Settings, apps: MediaApps) -> dict[str, httpx.AsyncBaseTransport]:
    """Every upstream of the gateway in-process, the CDN origin over `settings.data_dir` too."""
    return {
        "accounts": httpx.ASGITransport(app=apps.accounts),
        "catalog": httpx.ASGITransport(app=apps.catalog),
        "pipeline": httpx.ASGITransport(app=apps.pipeline),
        "billing": httpx.ASGITransport(app=apps.billing),
        "events": httpx.ASGITransport(app=apps.events),
        "experiments": httpx.ASGITransport(app=apps.experiments),
        "origin": httpx.ASGITransport(app=create_origin_app(settings)),
    }


@contextmanager
def media_stack_for(settings: Settings, check: SourceCheck = fake_check) -> Iterator[MediaStack]:
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    catalog_app = create_catalog_app(settings)
    catalog_for_pipeline = CatalogClient(
        "http://catalog",
        credentials=credentials(settings),
        transport=httpx.ASGITransport(catalog_app),
    )
    pipeline_app = create_pipeline_app(
        settings, workers=False, check=check, catalog=catalog_for_pipeline
    )
    billing_app = create_billing_app(settings)
    event_log = open_event_log(settings)
    events_app = create_events_app(settings, event_log=event_log)
    experiments_app = create_experiments_app(
        settings, event_log=event_log, events_transport=httpx.ASGITransport(events_app)
    )
    running_apps = MediaApps(
        accounts_app, catalog_app, pipeline_app, billing_app, events_app, experiments_app
    )
    with (
        closing(event_log),
        TestClient(events_app),
        TestClient(experiments_app),
        authorized(TestClient(accounts_app), settings, "accounts") as accounts,
        authorized(TestClient(catalog_app), settings, "catalog") as catalog,
        authorized(TestClient(pipeline_app), settings, "pipeline") as pipeline,
        authorized(TestClient(billing_app), settings, "billing") as billing,
    ):
        gateway = create_app(settings, transports=media_transports(settings, running_apps))
        with TestClient(gateway) as client:
            yield MediaStack(
                settings, gateway, client, accounts, catalog, billing, pipeline, running_apps
            )
