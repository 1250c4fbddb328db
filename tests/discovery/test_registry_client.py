"""The clients' view of the registry: a cached list, refreshed, never empty."""

from __future__ import annotations

from pathlib import Path

from tests.support.clock import FakeMonotonic
from vodstack.config import load_settings
from vodstack.discovery import (
    Instance,
    MemoryRegistry,
    RegistryClient,
    RegistryUnavailable,
    open_registry,
    registry_client,
)
from vodstack.discovery.registry import Lease

REFRESH_S = 2.0


def fallback(service: str) -> str:
    return f"http://configured/{service}"


class UnreadableRegistry(MemoryRegistry):
    """A registry whose reads fail while `down` is set (its file locked or gone)."""

    down = False

    def leases(self) -> list[Lease]:
        if self.down:
            raise RegistryUnavailable("registry file is gone")
        return super().leases()


def setup() -> tuple[FakeMonotonic, UnreadableRegistry, RegistryClient]:
    clock = FakeMonotonic()
    registry = UnreadableRegistry(60.0, clock)
    return clock, registry, RegistryClient(registry, fallback, refresh_s=REFRESH_S, clock=clock)


def test_the_list_is_cached_for_the_refresh_period_then_read_again() -> None:
    clock, registry, client = setup()
    registry.register(Instance("catalog", "catalog", "http://a"))
    assert client.instances("catalog") == ("http://a",)
    registry.register(Instance("catalog", "catalog-2", "http://b"))
    clock.advance(REFRESH_S - 0.1)
    assert client.instances("catalog") == ("http://a",)
    clock.advance(0.2)
    assert client.instances("catalog") == ("http://a", "http://b")


def test_no_registered_instance_falls_back_to_the_configured_url() -> None:
    _, _, client = setup()
    assert client.instances("catalog") == ("http://configured/catalog",)


def test_an_unreadable_registry_keeps_the_last_list() -> None:
    clock, registry, client = setup()
    registry.register(Instance("catalog", "catalog-2", "http://b"))
    assert client.instances("catalog") == ("http://b",)
    registry.down = True
    clock.advance(REFRESH_S)
    assert client.instances("catalog") == ("http://b",)
    assert client.instances("accounts") == ("http://configured/accounts",)


def test_a_platforms_client_reads_what_its_supervisor_registered(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    open_registry(settings).register(Instance("catalog", "catalog-2", "http://127.0.0.1:9"))
    client = registry_client(settings)
    assert client.instances("catalog") == ("http://127.0.0.1:9",)
    assert client.instances("accounts") == (settings.service_url("accounts"),)
