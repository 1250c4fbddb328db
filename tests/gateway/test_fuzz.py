"""Property-based fuzzing of the gateway's API (schemathesis): whatever comes in, no 5xx.

Runs against the in-process gateway, wired to the real accounts, catalog and pipeline apps
(and the CDN origin), as a logged-in administrator with a profile selected and a valid CSRF
header, so the generated requests get past authentication and reach the upstream calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok

from tests.gateway.media_stack import media_stack_for, media_transports
from tests.support.gateway import SAMPLE_TITLES, make_settings
from vodstack.gateway.app import create_app
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.gateway.sessions import SESSION_COOKIE

FUZZ_TOKEN = "fuzz-csrf-token-0123456789abcdefghijklmnop"
MAX_EXAMPLES = 15


@dataclass(frozen=True)
class Credentials:
    cookies: dict[str, str]
    headers: dict[str, str]


@pytest.fixture
def fuzz_target(tmp_path: Any) -> Iterator[tuple[FastAPI, Credentials]]:
    with media_stack_for(make_settings(tmp_path)) as stack:
        admin = stack.admin()
        for body in SAMPLE_TITLES:
            assert admin.post("/api/admin/titles", json=body).status_code == 201
        # schemathesis runs an app's lifespan itself, so it gets a gateway of its own; that one
        # shares the upstream apps, and so the admin's session, with the stack's gateway.
        gateway = create_app(
            stack.settings, transports=media_transports(stack.settings, stack.apps)
        )
        credentials = Credentials(
            cookies={SESSION_COOKIE: admin.cookies[SESSION_COOKIE], CSRF_COOKIE: FUZZ_TOKEN},
            headers={"X-CSRF-Token": FUZZ_TOKEN},
        )
        yield gateway, credentials


# Logging out would end the session every later request relies on.
NOT_FUZZED = frozenset({("POST", "/api/auth/logout")})
# This stack wires neither playback nor the events pipeline (events, history, telemetry); their
# own suites cover those routes (tests/events).
NOT_WIRED = ("/api/playback", "/api/events", "/api/history", "/api/admin/telemetry")


Operation = APIOperation[Any, Any, Any, Any]


def operation_of(result: Ok[Operation] | Err[Any]) -> Operation:
    if isinstance(result, Err):
        raise result.err()  # the gateway's own schema must load cleanly
    return result.ok()


def test_gateway_never_answers_5xx(fuzz_target: tuple[FastAPI, Credentials]) -> None:
    gateway, credentials = fuzz_target
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", gateway)
    operations = [operation_of(result) for result in schema.get_all_operations()]
    fuzzed = [
        op
        for op in operations
        if (op.method.upper(), op.path) not in NOT_FUZZED and not op.path.startswith(NOT_WIRED)
    ]
    assert len(fuzzed) >= 15  # the whole API, not an accidentally empty schema

    for operation in fuzzed:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(
                headers=credentials.headers,
                cookies=credentials.cookies,
                checks=[not_a_server_error],
            )

        no_server_error()
