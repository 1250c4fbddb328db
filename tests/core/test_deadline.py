"""A service stops working on a request once the deadline its caller sent has passed."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter

from tests.support.servers import serve_in_thread
from tests.support.waiting import eventually
from vodstack.core import deadline
from vodstack.core.app import create_service_app


def _app(seen: dict[str, object]) -> object:
    router = APIRouter()

    @router.get("/v1/slow")
    async def slow() -> dict[str, bool]:
        seen["remaining_s"] = deadline.remaining_s()
        try:
            await asyncio.sleep(1.5)
        except asyncio.CancelledError:
            seen["stopped"] = True
            raise
        seen["finished"] = True
        return {"ok": True}

    return create_service_app("probe", routers=[router])


def test_work_past_the_callers_deadline_is_stopped_and_answered_503() -> None:
    seen: dict[str, object] = {}
    with serve_in_thread(_app(seen)) as url:
        response = httpx.get(
            f"{url}/v1/slow", headers={deadline.DEADLINE_HEADER: "200"}, timeout=10
        )
        eventually(lambda: "stopped" in seen, timeout_s=5, message="the handler was not stopped")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "deadline_exceeded"
    remaining = seen["remaining_s"]
    assert isinstance(remaining, float) and 0 < remaining <= 0.2
    assert "finished" not in seen


def test_without_a_deadline_the_work_runs_to_its_end() -> None:
    seen: dict[str, object] = {}
    with serve_in_thread(_app(seen)) as url:
        response = httpx.get(f"{url}/v1/slow", timeout=10)
    assert response.status_code == 200
    assert seen == {"remaining_s": None, "finished": True}


def test_calls_within_a_budget_share_it_and_never_outlive_the_callers() -> None:
    assert deadline.remaining_s() is None
    with deadline.within(5.0):
        outer = deadline.remaining_s()
        assert outer is not None and 4.0 < outer <= 5.0
        with deadline.within(60.0):
            inner = deadline.remaining_s()
            assert inner is not None and inner <= outer, "the caller's sooner deadline stands"
    assert deadline.remaining_s() is None


def test_a_pages_calls_get_its_budget_from_arrival_less_the_render_reserve() -> None:
    assert deadline.calls_deadline(100.0, 1.0, 0.15) == 100.85
    assert deadline.calls_deadline(100.0, 0.1, 0.15) == 100.0, "never before the arrival"
    token = deadline.arrived_var.set(50.0)  # long ago: the page's budget is spent
    try:
        with deadline.page(1.0, 0.15) as calls_by:
            assert calls_by == 50.85
            left = deadline.remaining_s()
            assert left is not None and left < 0, "calls made now fail at once (and fall back)"
    finally:
        deadline.arrived_var.reset(token)
    assert deadline.remaining_s() is None


def test_a_page_counts_from_now_without_an_arrival_and_keeps_a_sooner_callers_deadline() -> None:
    with deadline.page(5.0, 1.0):
        own = deadline.remaining_s()
        assert own is not None and 3.0 < own <= 4.0
        with deadline.within(0.5), deadline.page(5.0, 1.0):
            sooner = deadline.remaining_s()
            assert sooner is not None and sooner <= 0.5, "the caller's sooner deadline stands"


def test_the_middleware_notes_each_requests_arrival_for_its_page_budget() -> None:
    router = APIRouter()

    @router.get("/v1/arrival")
    async def arrival() -> dict[str, float | None]:
        return {"arrived": deadline.arrived_var.get()}

    with serve_in_thread(create_service_app("probe", routers=[router])) as url:
        answer = httpx.get(f"{url}/v1/arrival", timeout=10).json()
    assert isinstance(answer["arrived"], float)
