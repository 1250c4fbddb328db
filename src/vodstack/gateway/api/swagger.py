"""`/api/docs`: Swagger UI from the gateway's own static files (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from vodstack.gateway.vendor import MISSING_HINT, VendorFile, missing

router = APIRouter(include_in_schema=False)

DOCS_URL = "/api/docs"
OPENAPI_URL = "/api/openapi.json"


@router.get(DOCS_URL)
async def swagger_ui() -> HTMLResponse:
    if missing(VendorFile.SWAGGER_JS, VendorFile.SWAGGER_CSS):
        text = f"<!doctype html><title>API docs</title><p>{MISSING_HINT}</p>"
        body = f'{text}<p>The raw description is at <a href="{OPENAPI_URL}">{OPENAPI_URL}</a>.</p>'
        return HTMLResponse(body, status_code=503)
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="vodstack API",
        swagger_js_url=VendorFile.SWAGGER_JS.url,
        swagger_css_url=VendorFile.SWAGGER_CSS.url,
        swagger_favicon_url="/static/favicon.svg",
    )
