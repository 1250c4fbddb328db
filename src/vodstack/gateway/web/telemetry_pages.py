"""The operators' QoE dashboard page (admin only); its script draws /api/admin/telemetry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from vodstack.contracts.telemetry import Split
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter(prefix="/admin")


@router.get("/telemetry")
async def dashboard(request: Request, session: PageAdminDep, pages: PagesDep) -> Response:
    splits = [split.value for split in Split]
    return pages.render(request, "admin_telemetry.html", session=session, splits=splits)
