"""CPU of the playback store's hot writes in-process: a start, a heartbeat, a swept session.

`bench/services.py` measures the start and the heartbeat through the running service, where
on a shared machine the figures swing with the load. This drives `SessionStore` alone on a
SQLite file (the service's default database): `--starts` starts on fresh accounts through the
event loop's path (`try_open`), as many heartbeats of one session, then the sweep of that many
silent sessions; it prints process CPU per operation, median of `--rounds`:

    .venv/bin/python bench/playback_writes.py [--rounds 3] [--count 2000]

Compare two commits by running it with each one's `src` on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.services.playback.app import migrate
from vodstack.services.playback.repository import NewSession, SessionStore

TIMEOUT = timedelta(seconds=30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def new_session(n: int, clock: Clock) -> NewSession:
    return NewSession(
        id=f"bench{n:010d}", account_id=n + 1, profile_id=1, title_id=1, asset_version="v1",
        region=None, max_height=1080, edges=["edge-eu-1", "edge-eu-2"],
        token_expires_at=clock.now + timedelta(hours=4),
        login_ref=f"login{n}" if n % 2 else None,
    )  # fmt: skip


def per_op(work: Callable[[], int]) -> float:
    started = time.process_time()
    done = work()
    return (time.process_time() - started) / done * 1e6


def one_round(count: int) -> tuple[float, float, float]:
    clock = Clock()
    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'playback.sqlite'}")
    migrate(engine)
    store = SessionStore(make_sessionmaker(engine), TIMEOUT, clock)
    try:

        def starts() -> int:
            for n in range(count):
                if store.try_open(new_session(n, clock), max_streams=4) is None:
                    raise RuntimeError("the loop's path refused a start")
            return count

        def heartbeats() -> int:
            for n in range(count):
                store.heartbeat(new_session(0, clock).id, 1, float(n), "v720p" if n % 2 else None)
            return count

        def sweep() -> int:
            clock.now += TIMEOUT + timedelta(seconds=1)
            return store.sweep()

        return per_op(starts), per_op(heartbeats), per_op(sweep)
    finally:
        store.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    rounds = [one_round(args.count) for _ in range(args.rounds)]
    for i, name in enumerate(("start (try_open)", "heartbeat", "swept session")):
        values = [r[i] for r in rounds]
        print(f"CPU per {name}: {statistics.median(values):.0f} us "
              f"({min(values):.0f}-{max(values):.0f})")  # fmt: skip
    print(f"{args.rounds} rounds x {args.count}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
