"""HTTP routes of the telemetry service (read side of its consumers)."""

from __future__ import annotations

import time
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.telemetry import ConsumerStatus, Plays, SeriesPoint, Split
from vodstack.services.telemetry.runtime import TelemetryRuntime
from vodstack.services.telemetry.series import series


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _runtime(request: Request) -> TelemetryRuntime:
    return cast(TelemetryRuntime, request.app.state.telemetry)


Runtime = Annotated[TelemetryRuntime, Depends(_runtime)]

popularity = APIRouter(prefix="/v1/popularity", tags=["popularity"])
telemetry = APIRouter(prefix="/v1/telemetry", tags=["telemetry"])
ROUTERS = (popularity, telemetry)


@popularity.get("", response_model=list[Plays])
async def plays(runtime: Runtime, since_hour: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Plays per title, region and hour (hours since the epoch, UTC) from `since_hour` on."""
    # An answer kept since the counts last changed is sent from the loop; reading the
    # database (which may block: PostgreSQL, a busy SQLite file) takes a thread.
    body = runtime.plays_answers.get(since_hour)
    if body is None:
        body = await run_in_threadpool(runtime.plays_json, since_hour)
    return Response(body, media_type="application/json")


@telemetry.get("/series")
def qoe_series(
    runtime: Runtime,
    window_s: Annotated[int, Query(ge=1, le=7 * 24 * 3600)] = 600,
    split: Split = Split.NONE,
) -> list[SeriesPoint]:
    """QoE per bucket over the last `window_s`, optionally split."""
    since = int(time.time()) - window_s
    return series(runtime.telemetry, since, split, runtime.heartbeat_s)


@telemetry.get("/consumers")
def consumers(runtime: Runtime) -> list[ConsumerStatus]:
    return runtime.status()
