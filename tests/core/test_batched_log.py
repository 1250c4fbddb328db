"""Log lines of one event-loop iteration go out in one write, in order; errors never wait."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from vodstack.core.batched_log import LoopBatchedHandler


class Writes(io.StringIO):
    """A stream that remembers each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, Writes]]:
    stream = Writes()
    handler = LoopBatchedHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.batched_log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_lines_of_one_iteration_go_out_in_one_write_after_it(
    logged: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = logged

    async def requests() -> list[str]:
        for n in range(3):
            logger.info("request %d", n)
        during = list(stream.writes)
        await asyncio.sleep(0)  # the iteration ends
        return during

    assert asyncio.run(requests()) == []
    assert stream.writes == ["INFO request 0\nINFO request 1\nINFO request 2\n"]


def test_a_warning_goes_out_at_once_after_the_lines_before_it(
    logged: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = logged

    async def failing() -> list[str]:
        logger.info("request 1")
        logger.warning("upstream down")
        return list(stream.writes)

    assert asyncio.run(failing()) == ["INFO request 1\nWARNING upstream down\n"]


def test_off_the_loop_every_line_goes_out_at_once(
    logged: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = logged
    logger.info("starting")
    assert stream.writes == ["INFO starting\n"]


def test_lines_left_by_a_loop_that_stopped_go_out_with_the_next_loop_or_flush(
    logged: tuple[logging.Logger, Writes],
) -> None:
    logger, stream = logged

    async def stopped_mid_iteration() -> None:
        logger.info("last line of a loop")
        asyncio.get_running_loop().stop()  # its drain, queued for the next iteration, never runs
        await asyncio.sleep(3600)

    loop = asyncio.new_event_loop()
    with pytest.raises(RuntimeError):
        loop.run_until_complete(stopped_mid_iteration())
    loop.close()
    assert stream.writes == []

    async def next_line() -> None:
        logger.info("first line of the next loop")
        await asyncio.sleep(0)

    asyncio.run(next_line())
    assert stream.getvalue() == "INFO last line of a loop\nINFO first line of the next loop\n"

    loop = asyncio.new_event_loop()
    with pytest.raises(RuntimeError):
        loop.run_until_complete(stopped_mid_iteration())
    loop.close()
    logger.handlers[0].flush()  # what logging.shutdown does at exit
    assert stream.getvalue().endswith("loop\nINFO last line of a loop\n")
