from __future__ import annotations

import pytest

from vodstack.control.regions import RegionResolver


class FakeGeo:
    def region_of(self, ip: str) -> str | None:
        return "ap" if ip.startswith("203.") else None


@pytest.fixture
def resolver() -> RegionResolver:
    return RegionResolver(
        ["eu", "us", "ap"],
        cidr_regions={"10.0.0.0/8": "eu", "10.1.0.0/16": "us", "2001:db8::/32": "ap"},
        geo=FakeGeo(),
    )


def test_the_gateway_header_wins(resolver: RegionResolver) -> None:
    assert resolver.resolve("US", "10.0.0.1") == "us"


def test_an_unknown_header_value_is_ignored(resolver: RegionResolver) -> None:
    assert resolver.resolve("mars", "10.0.0.1") == "eu"


def test_the_longest_cidr_prefix_wins(resolver: RegionResolver) -> None:
    assert resolver.resolve(None, "10.1.2.3") == "us"
    assert resolver.resolve(None, "10.2.2.3") == "eu"
    assert resolver.resolve(None, "2001:db8::1") == "ap"


def test_geoip_then_the_default(resolver: RegionResolver) -> None:
    assert resolver.resolve(None, "203.0.113.9") == "ap"
    assert resolver.resolve(None, "192.0.2.1") == "eu"
    assert resolver.resolve(None, "not-an-ip") == "eu"
    assert resolver.resolve() == "eu"


def test_cidr_maps_must_name_known_regions() -> None:
    with pytest.raises(ValueError, match="unknown regions"):
        RegionResolver(["eu"], cidr_regions={"10.0.0.0/8": "moon"})
