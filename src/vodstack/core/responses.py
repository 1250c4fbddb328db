"""The one error shape every service and the gateway answer with.

    {"error": {"code": "email_taken", "message": "...", "request_id": "...", "details": [...]}}

Its own module so that middleware answering before the app (core.body_limit) and the error
handlers (core.app) build the very same body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

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


def model_json(value: BaseModel | Sequence[BaseModel], status_code: int = 200) -> Response:
    """A hot route's answer, serialized once: the bytes FastAPI would send for it.

    Returned as a model, FastAPI validates the service's own model again before dumping it, and
    for a plain `def` route does so in a second thread-pool hop. The route keeps its
    `response_model`, so the API description does not change.
    """
    if isinstance(value, BaseModel):
        body = value.model_dump_json()
    else:
        body = "[" + ",".join(item.model_dump_json() for item in value) + "]"
    return Response(body, status_code=status_code, media_type="application/json")
