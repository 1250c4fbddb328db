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
