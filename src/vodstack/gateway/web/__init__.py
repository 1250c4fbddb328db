"""The server-rendered web app: HTML pages and the forms they post (CSRF-checked)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vodstack.gateway.csrf import verify_csrf
from vodstack.gateway.web import (
    account_pages,
    admin_pages,
    auth_pages,
    autoscaler_pages,
    browse_pages,
    cdn_pages,
    experiment_pages,
    media_pages,
    profile_pages,
    telemetry_pages,
    watch_pages,
)


def web_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
    for module in (
        auth_pages,
        profile_pages,
        browse_pages,
        watch_pages,
        account_pages,
        admin_pages,
        cdn_pages,
        media_pages,
    ):
        router.include_router(module.router)
    router.include_router(telemetry_pages.router)  # the events pipeline (docs/events.md)
    router.include_router(autoscaler_pages.router)  # docs/resilience.md, "Autoscaling"
    router.include_router(experiment_pages.router)  # A/B experiments (docs/experiments.md)
    return router
