"""Errors on web pages: the same handlers as the API, answered as an HTML page instead of JSON.

The platform's JSON handlers stay the single place mapping exceptions to a status and message;
for a page request their answer is re-dressed as a page with the same status and message.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from vodstack.core.errors import VodstackError
from vodstack.gateway.web.guards import Redirect
from vodstack.gateway.web.templating import Pages

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_NOT_PAGES = ("/api/", "/artwork/", "/static/", "/healthz", "/metrics")
_KEPT_HEADERS = ("retry-after",)


def is_page_request(request: Request) -> bool:
    return not request.url.path.startswith(_NOT_PAGES)


def _message(response: Response) -> str:
    try:
        return str(json.loads(bytes(response.body))["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return "Something went wrong."


def _as_page(json_handler: Handler, pages: Pages) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        answer = json_handler(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        if not is_page_request(request):
            return response
        headers = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
        return pages.error(request, response.status_code, _message(response), headers=headers)

    return handle


async def _redirect(_: Request, exc: Exception) -> Response:
    location = exc.location if isinstance(exc, Redirect) else "/"
    return RedirectResponse(location, status_code=303)


def install_page_errors(app: FastAPI, pages: Pages) -> None:
    for exc_type in (VodstackError, StarletteHTTPException, RequestValidationError, Exception):
        json_handler = app.exception_handlers[exc_type]
        app.add_exception_handler(exc_type, _as_page(json_handler, pages))
    app.add_exception_handler(Redirect, _redirect)
