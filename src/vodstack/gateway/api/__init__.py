"""The JSON API under `/api` (plus the public artwork route); every unsafe call is CSRF-checked."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vodstack.gateway.api import (
    account,
    admin,
    artwork,
    auth,
    billing,
    browse,
    cdn,
    events,
    experiments,
    history,
    jobs,
    my_list,
    playback,
    profiles,
    stream_urls,
    subtitles,
    swagger,
    telemetry,
    title_media,
    uploads,
)
from vodstack.gateway.csrf import verify_csrf


def api_router() -> APIRouter:
    outer = APIRouter()
    outer.include_router(stream_urls.licences)  # no cookie, no CSRF: stream_urls.licences
    router = APIRouter(dependencies=[Depends(verify_csrf)])
    # stream_urls before playback: its paths would match playback's session routes.
    for module in (browse, auth, account, billing, profiles, admin, cdn, uploads, jobs, artwork):
        router.include_router(module.router)
    router.include_router(subtitles.router)  # a title's subtitle languages (docs/pipeline.md)
    router.include_router(title_media.router)  # encryption, added audio (docs/pipeline.md)
    for module in (stream_urls, playback):
        router.include_router(module.router)
    router.include_router(my_list.router)
    for module in (events, history, telemetry):  # the events pipeline (docs/events.md)
        router.include_router(module.router)
    router.include_router(experiments.router)  # A/B experiments (docs/experiments.md)
    router.include_router(swagger.router)
    outer.include_router(router)
    return outer
