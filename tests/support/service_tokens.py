"""Tests call internal services the way vodstack's own clients do: with a service token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from vodstack.config.settings import Settings
from vodstack.core.service_auth import ServiceAuth, ServiceCredentials

CALLER = "tests"


def credentials(settings: Settings, caller: str = CALLER) -> ServiceCredentials:
    return ServiceCredentials.from_settings(settings, caller)


def authorized(client: TestClient, settings: Settings, audience: str) -> TestClient:
    """`client` (of the `audience` service), sending a fresh service token with every request."""
    client.auth = ServiceAuth(credentials(settings), audience)
    return client
