"""The autoscaler's admin page (admin only): its latest decision per service and its last changes.

Read from the decision log the autoscaler writes in the platform's run directory
(contracts.autoscale), so the page works while the autoscaler restarts and costs it nothing.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from vodstack.contracts.autoscale import latest_per_service, read_decisions
from vodstack.gateway.deps import StateDep
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter(prefix="/admin")


@router.get("/autoscaler")
async def autoscaler(
    request: Request, session: PageAdminDep, pages: PagesDep, state: StateDep
) -> Response:
    settings = state.settings
    run = settings.data_dir / "run"
    latest = latest_per_service(read_decisions(run, last=200))
    changes = list(reversed(read_decisions(run, last=30, only_changes=True)))
    return pages.render(
        request,
        "admin_autoscaler.html",
        session=session,
        enabled=settings.autoscale.enabled,
        policy=settings.autoscale,
        latest=[latest[name] for name in sorted(latest)],
        changes=changes,
        clock=lambda at: time.strftime("%H:%M:%S", time.localtime(at)),
    )
