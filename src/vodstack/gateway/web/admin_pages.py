"""Admin pages: list, create, edit and delete titles (admin role only).

Admins see every title with its state, including the ones viewers cannot see yet (processing)
and the ones whose upload or job failed (failed, with the pipeline's reason on the edit page).
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import SessionInfo
from vodstack.contracts.catalog import Availability, Title, TitleKind, TitleSort
from vodstack.contracts.common import Maturity
from vodstack.core.errors import VodstackError
from vodstack.delivery.quality import QualityReport
from vodstack.gateway.deps import UpstreamsDep
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep
from vodstack.gateway.web.title_form import TitleDraft

router = APIRouter(prefix="/admin")

PAGE_SIZE = 50
TitleId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Text = Annotated[str, Form(max_length=20_000)]


def _render_form(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    draft: TitleDraft,
    *,
    title: Title | None = None,
    status: int = 200,
    error: str | None = None,
    quality: QualityReport | None = None,
    failure: str | None = None,
    artwork_error: str | None = None,
) -> Response:
    return pages.render(
        request,
        "admin_title_form.html",
        session=session,
        status=status,
        draft=draft.as_dict(),
        title=title,
        error=error,
        kinds=[kind for kind in TitleKind if kind is not TitleKind.EPISODE],
        maturities=list(Maturity),
        quality=quality,
        failure=failure,
        artwork_error=artwork_error,
    )


async def _submitted_draft(
    name: Text = "",
    kind: Text = "movie",
    year: Text = "",
    maturity: Text = "adult",
    genres: Text = "",
    synopsis: Text = "",
    cast: Text = "",
    duration_min: Text = "0",
    episodes: Text = "",
) -> TitleDraft:
    return TitleDraft(name, kind, year, maturity, genres, synopsis, cast, duration_min, episodes)


DraftDep = Annotated[TitleDraft, Depends(_submitted_draft)]


@router.get("/titles")
async def list_titles(
    request: Request,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    saved: str = "",
) -> Response:
    page = await clients.catalog.titles(
        Maturity.ADULT, sort=TitleSort.TITLE, limit=PAGE_SIZE, offset=offset, unpublished=True
    )
    return pages.render(request, "admin_titles.html", session=session, page=page, saved=saved[:200])


@router.get("/titles/new")
async def new_title(request: Request, session: PageAdminDep, pages: PagesDep) -> Response:
    return _render_form(request, pages, session, TitleDraft())


@router.post("/titles")
async def create_title(
    request: Request,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    draft: DraftDep,
) -> Response:
    try:
        created = await clients.catalog.create(draft.to_create())
    except VodstackError as exc:
        return _render_form(
            request, pages, session, draft, status=exc.status_code, error=exc.message
        )
    return RedirectResponse(f"/admin/titles?saved={created.id}", status_code=303)


@router.get("/titles/{title_id}/edit")
async def edit_title(
    request: Request,
    title_id: TitleId,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    artwork_error: str | None = None,
) -> Response:
    title = await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)
    quality = failure = None
    # The origin or the pipeline down costs the VMAF table or the failure's reason, not the form.
    with contextlib.suppress(VodstackError):
        if title.asset_version is not None:
            quality = await clients.assets.quality(title_id, title.asset_version)
        if title.availability is Availability.FAILED:
            failure = await clients.pipeline.title_failure(title_id)
    return _render_form(
        request,
        pages,
        session,
        TitleDraft.of(title),
        title=title,
        quality=quality,
        failure=failure.reason if failure else None,
        artwork_error=artwork_error,
        status=422 if artwork_error else 200,
    )


@router.post("/titles/{title_id}")
async def update_title(
    request: Request,
    title_id: TitleId,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    draft: DraftDep,
) -> Response:
    title = await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)
    try:
        await clients.catalog.update(title_id, draft.to_update(title))
    except VodstackError as exc:
        return _render_form(
            request, pages, session, draft, title=title, status=exc.status_code, error=exc.message
        )
    return RedirectResponse(f"/admin/titles?saved={title_id}", status_code=303)


@router.post("/titles/{title_id}/delete")
async def delete_title(title_id: TitleId, _: PageAdminDep, clients: UpstreamsDep) -> Response:
    await clients.catalog.delete(title_id)
    return RedirectResponse("/admin/titles", status_code=303)


@router.post("/titles/{title_id}/artwork")
async def upload_artwork(
    request: Request,
    title_id: TitleId,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    image: Annotated[UploadFile, File()],
) -> Response:
    """Replace the title's artwork; a file that is not a usable image re-renders the edit page
    with the catalog's reason (422)."""
    try:
        await clients.catalog.set_artwork(title_id, await image.read())
    except VodstackError as exc:
        if exc.status_code != 422:
            raise
        return await edit_title(request, title_id, session, pages, clients, exc.message)
    return RedirectResponse(f"/admin/titles/{title_id}/edit?artwork=saved", status_code=303)


@router.post("/titles/{title_id}/artwork/delete")
async def delete_artwork(title_id: TitleId, _: PageAdminDep, clients: UpstreamsDep) -> Response:
    await clients.catalog.delete_artwork(title_id)
    return RedirectResponse(f"/admin/titles/{title_id}/edit", status_code=303)
