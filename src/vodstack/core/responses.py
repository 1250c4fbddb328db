"""The one error shape every service and the gateway answer with.

    {"error": {"code": "email_taken", "message": "...", "request_id": "...", "details": [...]}}

Its own module so that middleware answering before the app (core.body_limit) and the error
handlers (core.app) build the very same body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from vodstack.core.context import current_request_id


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "request_id": current_request_id(),
            "details": details or [],
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)
