"""`FeedReplica` (clients/feed_replica.py): what it vouches for, and when it stops vouching."""

from __future__ import annotations

import asyncio

from tests.support.clock import FakeMonotonic
from vodstack.clients.feed_replica import UNKNOWN, FeedReplica, Snapshot
from vodstack.contracts.common import Changes
from vodstack.core.errors import ServiceUnavailable


class FakeService:
    """Keys 1 and 2 held; a feed of changed keys; `down` makes every read fail."""

    def __init__(self) -> None:
        self.values = {1: "a", 2: "b"}
        self.feed: list[int] = []
        self.snapshots = 0
        self.gap = False
        self.down = False

    async def snapshot(self) -> Snapshot[str]:
        self._check()
        self.snapshots += 1
        return Snapshot(len(self.feed), dict(self.values))

    async def changes(self, after: int) -> Changes:
        self._check()
        if self.gap:
            return Changes(cursor=len(self.feed), ids=[], complete=False)
        return Changes(cursor=len(self.feed), ids=sorted(set(self.feed[after:])))

    def write(self, key: int, value: str) -> None:
        self.values[key] = value
        self.feed.append(key)

    def _check(self) -> None:
        if self.down:
            raise ServiceUnavailable("down", code="upstream_unreachable")


def _replica(service: FakeService, clock: FakeMonotonic) -> FeedReplica[str]:
    return FeedReplica("test", service.snapshot, service.changes, fresh_s=1.5, clock=clock)


def test_held_absent_and_changed_keys() -> None:
    service, clock = FakeService(), FakeMonotonic()
    replica = _replica(service, clock)

    async def scenario() -> None:
        assert replica.get(1) is UNKNOWN, "nothing before the first read"
        await replica.poll()
        assert (replica.get(1), replica.get(3)) == ("a", None)
        service.write(3, "c")
        assert replica.get(3) is None, "until the feed is read"
        await replica.poll()
        assert replica.get(3) is UNKNOWN and replica.get(2) == "b"
        assert service.snapshots == 1

    asyncio.run(scenario())


def test_a_gap_an_outage_or_a_stall_vouches_for_nothing_until_a_new_snapshot() -> None:
    service, clock = FakeService(), FakeMonotonic()
    replica = _replica(service, clock)

    async def scenario() -> None:
        await replica.poll()
        service.gap = True
        await replica.poll()
        assert replica.get(3) is UNKNOWN
        service.gap = False
        await replica.poll()
        assert replica.get(3) is None and service.snapshots == 2

        service.down = True
        await replica.poll()
        assert replica.get(3) is UNKNOWN
        service.down = False
        await replica.poll()
        assert replica.get(3) is None

        clock.sleep(2.0)  # no read within fresh_s: the poller stalled
        assert replica.get(3) is UNKNOWN and not replica.current

    asyncio.run(scenario())
