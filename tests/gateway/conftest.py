"""Fixtures for the gateway tests: the gateway and its real upstreams, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.gateway import SAMPLE_TITLES, Stack, make_settings, publish, stack_for
from vodstack.config.settings import Settings


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    with stack_for(settings) as running:
        yield running


@pytest.fixture
def titles(stack: Stack) -> dict[str, int]:
    """The sample titles, created through the admin API and published; name -> id."""
    admin = stack.admin()
    ids: dict[str, int] = {}
    for body in SAMPLE_TITLES:
        response = admin.post("/api/admin/titles", json=body)
        assert response.status_code == 201, response.text
        ids[body["name"]] = int(response.json()["id"])
        publish(stack, ids[body["name"]])
    return ids
