"""Catalog listing requests/s on SQLite (the anchor) vs PostgreSQL vs PostgreSQL + a read replica.

Three real catalog processes (`vodstack serve catalog`), one per database setup, hold the same
titles: SQLite (the embedded default), PostgreSQL (the machine's server, a throw-away database),
and PostgreSQL with reads on a streaming replica started here (pg_basebackup into a temporary
directory, a second server on a free port; tests/support/replica.py). `wrk` then drives
`GET /v1/titles` on each in interleaved rounds (the order rotates every round):

    .venv/bin/python bench/catalog_db.py [--titles 2000] [--rounds 5] [--duration 8]
        [--connections 4]

Every request carries a never-repeating query parameter, so the catalog's in-memory answer cache
(which SQLite has and PostgreSQL does not) never answers: each request runs the listing's
queries. Prints requests/s median and spread per setup and the ratios to SQLite.
Ports: the catalogs listen on 21001-21003 (this helper's block).

`--service history` measures history's continue-watching reads the same way, primary only (the
anchor) against a streaming replica per shard (`history.replica_url_template`): two real
`vodstack serve history` processes over the same shards (a schema per shard in one throw-away
database, filled with `--profiles` profiles of 8 started titles each), the look-aside cache off
(`cache_ttl_s = 0`: every request reads a shard), `wrk` asking
`GET /v1/profiles/{random}/continue` in interleaved rounds. Ports 21004-21005.

    .venv/bin/python bench/catalog_db.py --service history [--profiles 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

# The throw-away database and the replica are the tests' own fixtures (one implementation).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.postgres import throwaway_database
from tests.support.replica import streaming_replica

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.contracts.catalog import Availability, AvailabilityChange, TitleCreate
from vodstack.contracts.common import Maturity
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.core.processes import child_dies_with_us
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.services.catalog.app import migrate, search_index_for
from vodstack.services.catalog.service import CatalogService

PORTS = {
    "sqlite": 21001,
    "postgresql": 21002,
    "postgresql+replica": 21003,
    "history primary": 21004,
    "history + replica": 21005,
}
GENRES = ["Drama", "Comedy", "Thriller", "Documentary", "Animation", "Sci-Fi"]
WRK_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local offset = (counter % 5) * 20
  return wrk.format("GET", "/v1/titles?maturity=adult&limit=20&offset=" .. offset ..
    "&n=" .. counter .. "-" .. math.random(1, 1000000000))
end
"""
HISTORY_SCRIPT = """
request = function()
  return wrk.format("GET", "/v1/profiles/" .. math.random(1, PROFILES) .. "/continue")
end
"""
HISTORY_SCHEMA = "?options=-csearch_path%3Dh_g{generation}_s{shard}"
TITLES_PER_PROFILE = 8


def _fill(url: str, titles: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    service = CatalogService(make_sessionmaker(engine), search_index_for(engine))
    service.prepare()
    for n in range(titles):
        body = TitleCreate(
            name=f"Title {n}", year=1990 + n % 35, maturity=list(Maturity)[n % 3],
            genres=[GENRES[n % len(GENRES)], GENRES[(n + 2) % len(GENRES)]],
            synopsis=f"The story number {n}.", cast=[f"Actor {n % 97}"], duration_s=60,
        )  # fmt: skip
        created = service.create(body)
        service.set_availability(
            created.id, AvailabilityChange(availability=Availability.AVAILABLE, asset_version="v1")
        )
    engine.dispose()


def _fill_history(settings: Settings, profiles: int) -> None:
    """`profiles` profiles with TITLES_PER_PROFILE started titles each, on the shards."""
    from vodstack.contracts.events import EVENT
    from vodstack.services.history.app import open_history

    history = open_history(settings)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    events, tick = [], 0
    for profile in range(1, profiles + 1):
        for title in range(1, TITLES_PER_PROFILE + 1):
            tick += 1
            body = {
                "type": "heartbeat", "event_id": f"bench-{tick:08d}", "session_id": "bench-session",
                "profile_id": profile, "title_id": title, "position_s": float(10 + tick % 500),
                "duration_s": 1000.0, "at": (t0 + timedelta(seconds=tick)).isoformat(),
            }  # fmt: skip
            events.append(EVENT.validate_python(body))
            if len(events) == 2000:
                history.apply(events)
                events = []
    history.apply(events)
    history.close()


@contextmanager
def _catalog(settings: Settings, port: int, root: Path, service: str = "catalog") -> Iterator[str]:
    """A `vodstack serve SERVICE` process on `port`, owned by this one."""
    settings_file = root / f"settings-{port}.json"
    settings_file.write_text(settings.dump_for_child())
    log = (root / f"{service}-{port}.log").open("ab")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("vodstack")),
            *("serve", service, "--settings-file", str(settings_file), "--port", str(port)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=child_dies_with_us(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"{service} on {port} exited; see {log.name}"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{service} on {port} did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wrk(
    base: str,
    credentials: ServiceCredentials,
    script: Path,
    duration: int,
    connections: int,
    service: str = "catalog",
) -> float:
    # Tokens live a minute: a fresh one per run (runs are shorter than that).
    token = credentials.token(service)
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "-s",
            str(script),
            "-H",
            f"{SERVICE_TOKEN_HEADER}: {token}",
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    assert errors is None, f"{base} answered errors:\n{result.stdout}"
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    assert match is not None, result.stdout
    return float(match.group(1))


def _rounds(
    bases: dict[str, str], credentials: ServiceCredentials, script: Path, args: Any, service: str
) -> dict[str, list[float]]:
    """Warm every setup up, then `args.rounds` rounds, the order rotating each round."""
    names = list(bases)
    for name in names:  # warm-up: connections, caches of the servers
        _wrk(bases[name], credentials, script, 2, args.connections, service)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(args.rounds):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            rates[name].append(
                _wrk(bases[name], credentials, script, args.duration, args.connections, service)
            )
        print(f"round {round_number + 1}: " + ", ".join(f"{n} {rates[n][-1]:.0f}" for n in names))
    return rates


def _report(rates: dict[str, list[float]], anchor_name: str) -> None:
    print(f"load average after: {os.getloadavg()}")
    anchor = statistics.median(rates[anchor_name])
    for name, values in rates.items():
        median = statistics.median(values)
        print(
            f"{name:20} median {median:7.1f} req/s, spread {min(values):.1f}-{max(values):.1f}, "
            f"ratio to {anchor_name} {median / anchor:.2f}"
        )


def history_main(args: Any) -> None:
    """Continue-watching reads/s: the shards' primary only vs a replica per shard."""
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        replica = stack.enter_context(streaming_replica())
        primary_url = stack.enter_context(throwaway_database())
        database = primary_url.rsplit("/", 1)[1]
        shards = primary_url + HISTORY_SCHEMA
        history = {"shards": 4, "shard_url_template": shards, "cache_ttl_s": 0.0}
        primary = with_secrets(load_settings(data_dir=root / "primary", history=history))
        replica_template = replica.url(database) + HISTORY_SCHEMA
        with_replica = primary.history.model_copy(update={"replica_url_template": replica_template})
        setups = {  # one secret key: the bench's service token is good for both
            "history primary": primary,
            "history + replica": primary.model_copy(
                update={"data_dir": root / "replica", "history": with_replica}
            ),
        }
        started = time.monotonic()
        _fill_history(setups["history primary"], args.profiles)
        print(f"filled {args.profiles} profiles in {time.monotonic() - started:.0f} s", flush=True)
        deadline = time.monotonic() + 120
        while not replica.has_database(database):
            assert time.monotonic() < deadline, "the replica never got the database"
            time.sleep(0.2)
        bases = {
            name: stack.enter_context(_catalog(settings, PORTS[name], root, "history"))
            for name, settings in setups.items()
        }
        credentials = ServiceCredentials.from_settings(setups["history primary"], "bench")
        script = root / "continue.lua"
        script.write_text(HISTORY_SCRIPT.replace("PROFILES", str(args.profiles)))
        rates = _rounds(bases, credentials, script, args, "history")
        # Where the replica setup's reads went (its /metrics): the offload, not only a rate.
        metrics = httpx.get(f"{bases['history + replica']}/metrics", timeout=10).text
        served = re.findall(
            r'vodstack_db_reads_total\{service="history",target="(\w+)"\} (\S+)', metrics
        )
        print("history + replica reads: " + ", ".join(f"{t} {float(n):.0f}" for t, n in served))
    _report(rates, "history primary")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--service", choices=["catalog", "history"], default="catalog")
    parser.add_argument("--titles", type=int, default=2000)
    parser.add_argument("--profiles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    if args.service == "history":
        history_main(args)
        return
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        replica = stack.enter_context(streaming_replica())
        primary_url = stack.enter_context(throwaway_database())
        database = primary_url.rsplit("/", 1)[1]
        base = with_secrets(load_settings(data_dir=root / "sqlite"))
        setups = {
            "sqlite": base,
            "postgresql": base.model_copy(update={"database_urls": {"catalog": primary_url}}),
            "postgresql+replica": base.model_copy(
                update={
                    "database_urls": {"catalog": primary_url},
                    "database_replica_urls": {"catalog": replica.url(database)},
                }
            ),
        }
        started = time.monotonic()
        _fill(base.database_url("catalog"), args.titles)
        _fill(primary_url, args.titles)
        print(f"filled {args.titles} titles twice in {time.monotonic() - started:.0f} s")
        deadline = time.monotonic() + 120
        while not replica.has_database(database):
            assert time.monotonic() < deadline, "the replica never got the database"
            time.sleep(0.2)
        bases = {
            name: stack.enter_context(_catalog(settings, PORTS[name], root))
            for name, settings in setups.items()
        }
        credentials = ServiceCredentials.from_settings(base, "bench")
        script = root / "listing.lua"
        script.write_text(WRK_SCRIPT)
        rates = _rounds(bases, credentials, script, args, "catalog")
    _report(rates, "sqlite")


if __name__ == "__main__":
    main()
