"""One contract for every registry backend: register, renew, evict after missed renewals,
deregister on drain; what readers see in between."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.clock import FakeMonotonic
from tests.support.redis_server import REDIS_URL, closed_port_url, private_redis, redis_prefix
from vodstack.discovery import (
    Instance,
    MemoryRegistry,
    RedisRegistry,
    Registry,
    RegistryClient,
    RegistryUnavailable,
    SqliteRegistry,
)

LEASE_S = 6.0
Factory = Callable[[FakeMonotonic], Registry]


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    if request.param == "redis":
        with redis_prefix() as prefix:
            yield lambda clock: RedisRegistry(REDIS_URL, LEASE_S, prefix=prefix, clock=clock)
        return

    def build(clock: FakeMonotonic) -> Registry:
        if request.param == "memory":
            return MemoryRegistry(LEASE_S, clock)
        return SqliteRegistry(tmp_path / "registry.sqlite", LEASE_S, clock)

    yield build


def catalog(n: int, region: str | None = "eu") -> Instance:
    return Instance(
        "catalog", "catalog" if n == 1 else f"catalog-{n}", f"http://h:{8100 + n}", region
    )


def test_registered_instances_are_listed_per_service_in_order(make: Factory) -> None:
    registry = make(FakeMonotonic())
    registry.register(catalog(2, "us"))
    registry.register(catalog(1))
    registry.register(Instance("accounts", "accounts", "http://h:8101"))
    assert registry.instances("catalog") == [catalog(1), catalog(2, "us")]
    assert [i.instance_id for i in registry.instances("accounts")] == ["accounts"]
    assert registry.instances("playback") == []


def test_an_instance_not_renewed_within_its_lease_is_no_longer_listed_then_evicted(
    make: Factory,
) -> None:
    clock = FakeMonotonic()
    registry = make(clock)
    registry.register(catalog(1))
    registry.register(catalog(2))
    clock.advance(LEASE_S - 1)
    assert registry.renew("catalog", "catalog-2")
    clock.advance(2)  # catalog's lease ran out; catalog-2 renewed 2 s ago
    assert registry.instances("catalog") == [catalog(2)]
    assert registry.evict() == [catalog(1)]
    assert [lease.instance for lease in registry.leases()] == [catalog(2)]


def test_renewing_an_evicted_instance_says_so_and_registering_brings_it_back(
    make: Factory,
) -> None:
    clock = FakeMonotonic()
    registry = make(clock)
    registry.register(catalog(1))
    clock.advance(LEASE_S + 1)
    registry.evict()
    assert not registry.renew("catalog", "catalog")
    registry.register(catalog(1))
    assert registry.instances("catalog") == [catalog(1)]


def test_a_deregistered_instance_disappears_at_once(make: Factory) -> None:
    registry = make(FakeMonotonic())
    registry.register(catalog(1))
    registry.register(catalog(2))
    registry.deregister("catalog", "catalog-2")
    registry.deregister("catalog", "never-registered")
    assert registry.instances("catalog") == [catalog(1)]


def test_registering_again_replaces_the_entry(make: Factory) -> None:
    registry = make(FakeMonotonic())
    registry.register(catalog(2))
    moved = Instance("catalog", "catalog-2", "http://h:9999", "us")
    registry.register(moved)
    assert registry.instances("catalog") == [moved]


def test_the_sqlite_registry_is_shared_by_every_process_opening_the_file(tmp_path: Path) -> None:
    clock = FakeMonotonic()
    writer = SqliteRegistry(tmp_path / "r.sqlite", LEASE_S, clock)
    reader = SqliteRegistry(tmp_path / "r.sqlite", LEASE_S, clock)
    writer.register(catalog(1))
    assert reader.instances("catalog") == [catalog(1)]
    writer.deregister("catalog", "catalog")
    assert reader.instances("catalog") == []


@pytest.mark.redis
def test_the_redis_registry_is_shared_by_every_host_on_the_servers_clock() -> None:
    with redis_prefix() as prefix:
        # No clock given: leases run on Redis's TIME, the one clock every host agrees on.
        writer = RedisRegistry(REDIS_URL, LEASE_S, prefix=prefix)
        reader = RedisRegistry(REDIS_URL, LEASE_S, prefix=prefix)
        writer.register(catalog(1))
        assert reader.instances("catalog") == [catalog(1)]
        (lease,) = reader.leases()
        assert 0 <= reader.clock() - lease.renewed_at < LEASE_S
        assert reader.renew("catalog", "catalog")
        writer.deregister("catalog", "catalog")
        assert reader.instances("catalog") == []
        assert not reader.renew("catalog", "catalog")
        writer.close()
        reader.close()


@pytest.mark.redis
def test_an_eviction_racing_a_renewal_never_deletes_a_renewed_lease() -> None:
    clock = FakeMonotonic()
    with redis_prefix() as prefix:
        supervisor = RedisRegistry(REDIS_URL, LEASE_S, prefix=prefix, clock=clock)
        supervisor.register(catalog(1))
        clock.advance(LEASE_S + 1)
        assert supervisor.renew("catalog", "catalog")  # renewed just before the eviction
        assert supervisor.evict() == []
        assert supervisor.instances("catalog") == [catalog(1)]


def test_an_unreachable_redis_registry_is_unavailable_and_clients_keep_their_list() -> None:
    registry = RedisRegistry(closed_port_url(), LEASE_S, timeout_s=0.5, retry_s=0)
    with pytest.raises(RegistryUnavailable, match="registry in Redis"):
        registry.register(catalog(1))
    with pytest.raises(RegistryUnavailable):
        registry.instances("catalog")
    client = RegistryClient(registry, lambda service: f"http://fallback/{service}", refresh_s=0)
    assert client.instances("catalog") == ("http://fallback/catalog",)


def test_a_redis_registry_killed_mid_test_is_unavailable_and_clients_keep_their_list(
    tmp_path: Path,
) -> None:
    with private_redis(tmp_path / "redis") as server:
        registry = RedisRegistry(server.url, LEASE_S, timeout_s=0.5, retry_s=0)
        registry.register(catalog(1))
        client = RegistryClient(registry, lambda service: "http://fallback", refresh_s=0)
        assert client.instances("catalog") == (catalog(1).url,)
        server.stop()
        with pytest.raises(RegistryUnavailable):
            registry.renew("catalog", "catalog")
        assert client.instances("catalog") == (catalog(1).url,)  # the last list it read
        registry.close()
