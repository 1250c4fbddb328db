"""Pull-through fills with single flight: one upstream fetch per object, however many misses.

`Filler.flight(asset)` returns the fill in progress for that object or starts one. The fill
runs as its own task (owned here, cancelled on close), so a viewer that hangs up does not
abort it for the others; it writes to a temp file that viewers follow (`Flight.read`), then
fsyncs and commits it to the disk cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path

from vodstack.cdn.cache import DiskCache, Flight, FlightState
from vodstack.cdn.errors import BadGateway
from vodstack.cdn.file_response import FileDescriber, ServedFile
from vodstack.cdn.stats import EdgeStats
from vodstack.cdn.upstream import Upstream, UpstreamReply
from vodstack.core.errors import ServiceUnavailable, VodstackError
from vodstack.delivery.assets import AssetPath

log = logging.getLogger(__name__)


class Filler:
    """Owns the fills in progress of one edge."""

    def __init__(
        self,
        cache: DiskCache,
        upstream: Upstream,
        describer: FileDescriber,
        stats: EdgeStats,
    ) -> None:
        self._cache = cache
        self._upstream = upstream
        self._describer = describer
        self._stats = stats
        self.flights: dict[bytes, Flight] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def flight(self, asset: AssetPath, planned: bool = False) -> tuple[Flight, bool]:
        """The fill for `asset` and whether this call started it; `planned` for a fill plan's
        object (kept), else a viewer's miss (kept if the cache's admission filter agrees)."""
        existing = self.flights.get(asset.raw)
        if existing is not None:
            if planned:
                existing.missed_at = None
            return existing, False
        flight = Flight(asset.raw, self._cache.temp_path(), None if planned else time.time())
        # Created now, not in the task: a viewer opens it right after this call returns.
        fd = os.open(flight.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.flights[asset.raw] = flight
        task = asyncio.create_task(self._run(asset, flight, fd), name=f"fill {asset.raw.decode()}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return flight, True

    async def settle(self) -> None:
        """Wait until every fill running now has committed or failed."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let running fills finish for `timeout_s`, then cancel the rest."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, asset: AssetPath, flight: Flight, fd: int) -> None:
        reserved = 0
        try:
            async with self._upstream.fetch(asset) as reply:
                served = self._describer.describe(
                    asset.prefix, asset.file, flight.temp_path, reply.size, reply.mtime
                )
                kept = flight.missed_at is None or self._cache.admits(asset.title, flight.missed_at)
                reserved = reply.size if kept and self._cache.reserve(reply.size) else 0
                flight.start(reply.source.value, served)
                await self._copy(reply, fd, flight)
            await asyncio.to_thread(os.fsync, fd)
            committed = self._commit(asset, flight, reply, reserved, kept)
            reserved = 0
            flight.finish(committed)
        except VodstackError as exc:
            self._fail(flight, exc)
        except (OSError, ValueError) as exc:
            log.exception("fill of %s failed", asset.raw.decode())
            self._fail(flight, ServiceUnavailable(f"fill failed: {exc}", code="fill_failed"))
        except asyncio.CancelledError:
            self._fail(flight, ServiceUnavailable("edge shutting down", code="shutting_down"))
            raise
        finally:
            os.close(fd)
            if reserved:
                self._cache.release(reserved)
            if flight.state is not FlightState.DONE:
                _unlink_quietly(flight.temp_path)
            self.flights.pop(asset.raw, None)

    async def _copy(self, reply: UpstreamReply, fd: int, flight: Flight) -> None:
        try:
            async for chunk in reply.chunks():
                os.write(fd, chunk)
                self._stats.fill_bytes[reply.source.value] += len(chunk)
                flight.advance(chunk)
        except Exception as exc:
            if isinstance(exc, VodstackError | OSError):
                raise
            raise BadGateway(f"{reply.source} broke off the transfer: {exc!r}") from exc
        if flight.written != reply.size:
            raise BadGateway(
                f"{reply.source} sent {flight.written} of {reply.size} bytes", code="short_body"
            )

    def _commit(
        self, asset: AssetPath, flight: Flight, reply: UpstreamReply, reserved: int, kept: bool
    ) -> ServedFile | None:
        if not reserved:
            # Refused by the admission filter, or larger than the whole cache: served to the
            # viewers who asked, not kept.
            self._stats.fills["uncached" if kept else "refused"] += 1
            _unlink_quietly(flight.temp_path)
            return None
        self._stats.fills["cached"] += 1
        return self._cache.commit(asset, flight.temp_path, reply.size, reply.mtime)

    def _fail(self, flight: Flight, error: VodstackError) -> None:
        self._stats.fills["failed"] += 1
        flight.fail(error)


def _unlink_quietly(path: str) -> None:
    Path(path).unlink(missing_ok=True)
