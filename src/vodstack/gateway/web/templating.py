"""Rendering pages: the templates plus what every page needs (CSRF token, who is logged in)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from vodstack.contracts.accounts import Role, SessionInfo
from vodstack.gateway.csrf import page_token

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# Pages load only our own script and styles; posters are same-origin SVGs. Avatar colours use
# style attributes, hence 'unsafe-inline' for styles (never for scripts).
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _duration(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes == 0:
        return f"{seconds} s"  # demo clips are shorter than a minute; "0 min" reads as broken
    return f"{minutes} min"


def _price(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


class Pages:
    """The web app's template renderer."""

    def __init__(self) -> None:
        self._templates = Jinja2Templates(directory=TEMPLATES_DIR)
        self._templates.env.filters["duration"] = _duration
        self._templates.env.filters["price"] = _price

    def render(
        self,
        request: Request,
        name: str,
        *,
        session: SessionInfo | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        context.update(
            csrf_token=page_token(request),
            session=session,
            profile=session.profile if session else None,
            is_admin=session is not None and session.account.role is Role.ADMIN,
        )
        all_headers = {**_PAGE_HEADERS, **(headers or {})}
        return self._templates.TemplateResponse(
            request, name, context, status_code=status, headers=all_headers
        )

    def error(
        self,
        request: Request,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            status=status,
            headers=headers,
            status_code=status,
            message=message,
        )


async def pages(request: Request) -> Pages:
    renderer: Pages = request.app.state.pages
    return renderer


PagesDep = Annotated[Pages, Depends(pages)]
