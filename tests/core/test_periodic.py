"""`Periodic`: the owned repeating task every background loop of the services uses."""

from __future__ import annotations

import asyncio

import pytest

from vodstack.core.errors import ServiceUnavailable
from vodstack.core.periodic import Periodic


def test_runs_at_start_and_again_every_interval() -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls))

    async def main() -> None:
        async with Periodic("counting", step, 0.001):
            while len(calls) < 3:
                await asyncio.sleep(0.001)

    asyncio.run(asyncio.wait_for(main(), 30))
    assert calls[:3] == [0, 1, 2]


def test_a_failing_step_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []

    async def step() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database is locked")

    async def main() -> None:
        async with Periodic("flaky sweep", step, 0.001):
            while len(attempts) < 2:
                await asyncio.sleep(0.001)

    asyncio.run(asyncio.wait_for(main(), 30))
    assert "flaky sweep failed" in caplog.text
    assert "the database is locked" in caplog.text


def test_a_dependency_down_is_one_warning_line_and_a_bug_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [ServiceUnavailable("The catalog service is unreachable."), KeyError("title")]

    async def step() -> None:
        if failures:
            raise failures.pop(0)

    async def main() -> None:
        async with Periodic("snapshot", step, 0.001):
            while failures:
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(main(), 30))
    down, bug = (r for r in caplog.records if "snapshot failed" in r.getMessage())
    assert down.levelname == "WARNING" and down.exc_info is None
    assert "The catalog service is unreachable." in down.getMessage()
    assert bug.levelname == "ERROR" and bug.exc_info is not None


def test_stop_cancels_and_a_zero_interval_never_runs() -> None:
    calls: list[str] = []

    async def step() -> None:
        calls.append("ran")
        await asyncio.sleep(3600)  # stop must cancel a step in progress, not wait for it

    async def main() -> None:
        never = Periodic("disabled", step, 0)
        never.start()
        running = Periodic("long", step, 1.0)
        running.start()
        while not calls:
            await asyncio.sleep(0.001)
        await running.stop()
        await running.stop()  # stopping twice is harmless
        await never.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
    assert calls == ["ran"]
