"""Kept HTTP/1.1 connections per upstream, shared by the lean transports.

The services' keep-alive transport (clients/keepalive.py) and the edge's fill transport
(cdn/upstream_transport.py) speak HTTP differently (whole small bodies vs streamed segments)
but keep connections the same way: a stack of idle ones per (host, port), none reused once
older than the upstream's own idle timeout, connect failures raised as httpx's errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import httpx


class KeptConnection:
    """One connection's streams and how long it has been idle."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_limit_s: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()
        self._idle_limit_s = idle_limit_s

    def usable(self) -> bool:
        fresh = time.monotonic() - self.idle_since < self._idle_limit_s
        return fresh and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


Connection = TypeVar("Connection", bound=KeptConnection)


class ConnectionPool(Generic[Connection]):
    """At most `max_idle` idle connections per origin; `make` wraps a new one's streams."""

    def __init__(
        self,
        make: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Connection],
        *,
        max_idle: int,
    ) -> None:
        self._make = make
        self._max_idle = max_idle
        self._idle: dict[tuple[str, int], deque[Connection]] = {}
        self._closed = False

    async def acquire(
        self, origin: tuple[str, int], connect_s: float | None, *, fresh: bool = False
    ) -> tuple[Connection, bool]:
        """A usable kept connection, or a new one (`fresh`: always new); whether reused."""
        idle = self._idle.get(origin)
        while idle and not fresh:
            connection = idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(*origin)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {origin[0]}:{origin[1]} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        return self._make(reader, writer), False

    def release(self, origin: tuple[str, int], connection: Connection, keep: bool) -> None:
        """Back to the idle stack, or closed (`keep` false, pool closed or full)."""
        idle = self._idle.setdefault(origin, deque())
        if not keep or self._closed or len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    def idle_connections(self) -> int:
        return sum(len(idle) for idle in self._idle.values())

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            while idle:
                connection = idle.pop()
                connection.close()
                with contextlib.suppress(OSError):
                    await connection.writer.wait_closed()
