"""Property-based fuzzing of the events pipeline's gateway routes (schemathesis): `/api/events`,
`/api/history`, `/api/admin/telemetry`. Whatever comes in, no 5xx (an administrator with a
profile, so every route is reached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.events.stack import events_stack
from tests.gateway.test_fuzz import operation_of
from tests.support.gateway import make_settings
from vodstack.events.log import EventLog
from vodstack.gateway.app import create_app
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.gateway.sessions import SESSION_COOKIE

TOKEN = "fuzz-csrf-token-0123456789abcdefghijklmnop"
PIPELINE_ROUTES = ("/api/events", "/api/history", "/api/admin/telemetry")


def test_events_never_answer_5xx(tmp_path: Path, event_log: EventLog) -> None:
    with events_stack(make_settings(tmp_path), event_log) as stack:
        viewer = stack.admin()
        # schemathesis runs the app's lifespan itself: a second gateway on the same upstreams.
        gateway = create_app(stack.settings, transports=stack.transports)
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", gateway)
        every = [operation_of(result) for result in schema.get_all_operations()]
        operations = [op for op in every if op.path.startswith(PIPELINE_ROUTES)]
        assert len(operations) == 5, [op.path for op in operations]
        cookies = {SESSION_COOKIE: viewer.cookies[SESSION_COOKIE], CSRF_COOKIE: TOKEN}

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=15,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def no_server_error(case: Any) -> None:
                case.call_and_validate(
                    headers={"X-CSRF-Token": TOKEN}, cookies=cookies, checks=[not_a_server_error]
                )

            no_server_error()
