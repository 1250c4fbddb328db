"""The admin's experiment pages: the list with a form to define one, and each one's results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import SessionInfo
from vodstack.contracts.experiments import ExperimentCreate, ExperimentKey
from vodstack.core.errors import Invalid, VodstackError
from vodstack.gateway.deps import UpstreamsDep
from vodstack.gateway.upstreams import Upstreams
from vodstack.gateway.web.forms import parse_form
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter(prefix="/admin/experiments")
Text = Annotated[str, Form(max_length=500)]

FRIENDLY = {
    "key": "A key is 2 to 48 lower-case letters, digits or dashes (e.g. home-row-order).",
    "cells": "Give each cell as name:share on its own line, shares adding up to 10000.",
    "stop_at": "Give the stop time as 2030-01-31T00:00:00+00:00, or leave it empty.",
}


async def _render_list(
    request: Request,
    pages: PagesDep,
    clients: Upstreams,
    session: SessionInfo,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    experiments = await clients.experiments.experiments()
    return pages.render(
        request,
        "admin_experiments.html",
        session=session,
        status=status,
        experiments=experiments,
        error=error,
    )


@router.get("")
async def experiments_page(
    request: Request, session: PageAdminDep, pages: PagesDep, clients: UpstreamsDep
) -> Response:
    return await _render_list(request, pages, clients, session)


@router.post("")
async def create_experiment(
    request: Request,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    key: Annotated[str, Form(max_length=48)] = "",
    description: Text = "",
    cells: Text = "",
    stop_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        body = parse_form(
            ExperimentCreate,
            FRIENDLY,
            key=key.strip(),
            description=description,
            cells=_cells(cells),
            stop_at=stop_at.strip() or None,
        )
        await clients.experiments.create(body)
    except VodstackError as exc:
        return await _render_list(
            request, pages, clients, session, status=exc.status_code, error=exc.message
        )
    return RedirectResponse(f"/admin/experiments/{body.key}", status_code=303)


@router.post("/{key}/stop")
async def stop_experiment(
    key: Annotated[ExperimentKey, Path()], session: PageAdminDep, clients: UpstreamsDep
) -> Response:
    await clients.experiments.stop(key)
    return RedirectResponse(f"/admin/experiments/{key}", status_code=303)


@router.get("/{key}")
async def results_page(
    key: Annotated[ExperimentKey, Path()],
    request: Request,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
) -> Response:
    results = await clients.experiments.results(key)
    return pages.render(
        request,
        "admin_experiment.html",
        session=session,
        results=results,
        control=results.experiment.cells[0].name,
    )


def _cells(text: str) -> list[dict[str, object]]:
    """`name:share` per line into cells; `Invalid` naming the line that is not."""
    cells: list[dict[str, object]] = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        name, _, share = line.partition(":")
        if not share.strip().isdigit():
            raise Invalid(f"{line!r}: {FRIENDLY['cells']}", code="invalid")
        cells.append({"name": name.strip(), "share": int(share)})
    return cells
