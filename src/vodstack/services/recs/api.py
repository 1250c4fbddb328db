"""HTTP routes of the recommendations service."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.contracts.recs import HomeRows, TrainStatus
from vodstack.core.answer_cache import good_until
from vodstack.core.errors import ServiceUnavailable, VodstackError
from vodstack.core.responses import model_json
from vodstack.services.recs.rows import ProfileView, home_rows
from vodstack.services.recs.runtime import RecsRuntime

log = logging.getLogger(__name__)


async def _runtime(request: Request) -> RecsRuntime:
    return cast(RecsRuntime, request.app.state.recs)


Runtime = Annotated[RecsRuntime, Depends(_runtime)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Region = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")]

profiles = APIRouter(prefix="/v1/profiles", tags=["recommendations"])
training = APIRouter(prefix="/v1/train", tags=["operators"])
ROUTERS = (profiles, training)

# Continue watching is one row among many: a slow history service costs it, not the page.
_HISTORY_WAIT_S = 1.0


@profiles.get("/{profile_id}/rows", response_model=HomeRows)
async def rows(
    profile_id: Id,
    runtime: Runtime,
    request: Request,
    maturity: Maturity,
    region: Region = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    """The profile's home rows, chosen and ordered for it, every one at `maturity`."""
    catalog = runtime.catalog
    if not catalog.loaded:
        raise ServiceUnavailable(
            "Recommendations are warming up (the catalog snapshot is not loaded yet).",
            code="recs_warming_up",
        )
    started, (recommended, recent, trained_at) = await asyncio.gather(
        _started(runtime, profile_id), asyncio.to_thread(_stored, runtime, profile_id)
    )
    if started is None:
        # Without its continue-watching row: answered, but not kept (services/recs/freshness.py)
        # for the next pages, which should have the row once history answers again.
        good_until(request.scope, 0.0)
        started = []
    view = ProfileView(profile_id, recommended, recent, started, runtime.store.neighbours)
    page = home_rows(view, maturity, region, limit, catalog, runtime.popular, trained_at)
    # Serialized once: returned as a model, FastAPI would validate the whole page again.
    return model_json(page)


def _stored(
    runtime: RecsRuntime, profile_id: int
) -> tuple[list[int] | None, list[tuple[int, float]], datetime | None]:
    return (
        runtime.store.recommended(profile_id),
        runtime.watched.recent(profile_id),
        runtime.trained_at(),
    )


async def _started(runtime: RecsRuntime, profile_id: int) -> list[Position] | None:
    """Continue watching; None when history did not answer in time."""
    try:
        async with asyncio.timeout(_HISTORY_WAIT_S):
            return await runtime.clients.history.continue_watching(profile_id)
    except (VodstackError, TimeoutError) as exc:
        log.warning("continue watching left out of profile %d's rows: %s", profile_id, exc)
        return None


@training.post("", status_code=200)
async def train(runtime: Runtime) -> TrainStatus:
    """Train now and precompute every profile's rows; answers when done (409 while a run is
    under way)."""
    return await runtime.train()


@training.get("")
def train_status(runtime: Runtime) -> TrainStatus:
    return runtime.status()
