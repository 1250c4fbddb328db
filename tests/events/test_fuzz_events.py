"""Property-based fuzzing of `POST /api/events` (schemathesis): whatever a player sends, the
gateway and the events service answer without a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.events.stack import events_stack
from tests.gateway.conftest import make_settings
from vodstack.events.log import EventLog
from vodstack.gateway.app import create_app
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.gateway.sessions import SESSION_COOKIE

TOKEN = "fuzz-csrf-token-0123456789abcdefghijklmnop"


def test_events_never_answer_5xx(tmp_path: Path, event_log: EventLog) -> None:
    with events_stack(make_settings(tmp_path), event_log) as stack:
        viewer = stack.viewer()
        # schemathesis runs the app's lifespan itself: a second gateway on the same upstreams.
        gateway = create_app(stack.settings, transports=stack.transports)
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", gateway)
        operation = schema["/api/events"]["POST"]
        cookies = {SESSION_COOKIE: viewer.cookies[SESSION_COOKIE], CSRF_COOKIE: TOKEN}

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(
                headers={"X-CSRF-Token": TOKEN}, cookies=cookies, checks=[not_a_server_error]
            )

        no_server_error()
