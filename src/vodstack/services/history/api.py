"""HTTP routes of the history service. Plain `def`: the shards' queries block (continue
watching, asked for every home page, answers from the look-aside cache on the loop when it can:
a thread hop cost several times the rest of the request, bench/services.py)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.common import Changes
from vodstack.contracts.history import (
    MAX_WATCHED,
    HistoryStatus,
    Position,
    ReshardRequest,
    ReshardStatus,
    WatchedProfiles,
)
from vodstack.core.answer_cache import filling
from vodstack.core.errors import NotFound
from vodstack.core.responses import model_json
from vodstack.events.groups import HISTORY
from vodstack.events.log import EventLog
from vodstack.services.history.changes import MAX_PAGE
from vodstack.services.history.repository import ShardedHistory
from vodstack.services.history.reshard import Resharder


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _history(request: Request) -> ShardedHistory:
    return cast(ShardedHistory, request.app.state.history)


History = Annotated[ShardedHistory, Depends(_history)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

profiles = APIRouter(prefix="/v1/profiles", tags=["history"])
titles = APIRouter(prefix="/v1/titles", tags=["operators"])
status = APIRouter(prefix="/v1/status", tags=["operators"])
reshard = APIRouter(prefix="/v1/reshard", tags=["operators"])
ROUTERS = (profiles, titles, status, reshard)


async def _resharder(request: Request) -> Resharder:
    return cast(Resharder, request.app.state.resharder)


ResharderDep = Annotated[Resharder, Depends(_resharder)]


@profiles.get("/changes", response_model=Changes)
async def viewing_changes(
    history: History,
    after: Annotated[int, Query(ge=0, le=2**62, description="The cursor of the last answer.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> Response:
    """The profiles whose viewing changed since `after` (internal: the recs service's cache of
    home rows). async: a read of this process's memory, no thread hop."""
    return Response(
        history.changes.read(after, limit).model_dump_json(), media_type="application/json"
    )


@profiles.get("/watched", response_model=WatchedProfiles)
def watched_profiles(
    history: History, limit: Annotated[int, Query(ge=1, le=MAX_WATCHED)] = MAX_WATCHED
) -> Response:
    """Every profile with a resume position, as of the changes feed's cursor (internal:
    playback's replica, read at its start and after a gap in the feed)."""
    return model_json(history.watched(limit))


@profiles.get("/{profile_id}/continue", response_model=list[Position])
async def continue_watching(profile_id: Id, history: History, request: Request) -> Response:
    """Started, unfinished titles, most recent first (the home page's row)."""
    if filling(request.scope):
        # Kept by the answer cache until a shard is written (app.py): from the shards, not from
        # the look-aside cache, which may still hold what another instance's write replaced.
        return model_json(await run_in_threadpool(history.continue_from_shards, profile_id))
    positions = history.cached_continue(profile_id)
    if positions is None:
        positions = await run_in_threadpool(history.continue_watching, profile_id)
    return model_json(positions)


@profiles.get("/{profile_id}/titles/{title_id}")
def resume(profile_id: Id, title_id: Id, history: History) -> Position:
    """Where this profile stopped in this title (404 if it never played it)."""
    position = history.resume(profile_id, title_id)
    if position is None:
        raise NotFound("This profile has not watched this title.", code="no_history")
    return position


@titles.get("/{title_id}/viewers")
def viewers(
    title_id: Id, history: History, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[Position]:
    """Who watched title X: every shard asked in parallel, most recent first."""
    return history.viewers(title_id, limit)


@status.get("")
def history_status(request: Request, history: History) -> HistoryStatus:
    log: EventLog = request.app.state.history_log
    return HistoryStatus(
        shards=history.layout.count,
        positions=history.count(),
        lag=log.lag(HISTORY),
        replays=history.replays(),
        cache_hits=history.cache.hits,
        cache_misses=history.cache.misses,
    )


@reshard.post("", status_code=202)
def start_reshard(body: ReshardRequest, resharder: ResharderDep) -> ReshardStatus:
    """Start moving history to `shards` shards online (copy, dual write, verify, cut over);
    follow it with GET. 409 while one runs."""
    return resharder.start(body.shards).status()


@reshard.get("")
def reshard_status(resharder: ResharderDep) -> ReshardStatus:
    return resharder.progress.status()
