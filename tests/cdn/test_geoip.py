"""GeoIP steering against a real MaxMind-format database, written at test time with mmdb-writer."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from vodstack.config import load_settings
from vodstack.control.regions import RegionResolver

DE_NET = "192.0.2.0/24"
US_NET = "198.51.100.0/24"


def _write_country_db(path: Path, *, ip_version: int) -> Path:
    # Real GeoLite2 files are IPv6 trees with IPv4 mapped under ::/96; cover both layouts.
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type="GeoLite2-Country",
        languages=["en"],
        description="vodstack test country db",
    )
    writer.insert_network(
        IPSet([DE_NET]), {"country": {"iso_code": "DE"}, "continent": {"code": "EU"}}
    )
    writer.insert_network(
        IPSet([US_NET]), {"country": {"iso_code": "US"}, "continent": {"code": "NA"}}
    )
    writer.to_db_file(str(path))
    return path


def _resolver(tmp_path: Path, *, ip_version: int = 6, **cdn: object) -> RegionResolver:
    database = _write_country_db(tmp_path / "country.mmdb", ip_version=ip_version)
    settings = load_settings(
        data_dir=tmp_path,
        cdn={
            "regions": ["eu", "us", "ap"],
            "geoip_db": database,
            # DE is matched by its continent, US by its country code (codes are case-insensitive).
            "geoip_regions": {"EU": "eu", "us": "us"},
            **cdn,
        },
    )
    return RegionResolver.from_settings(settings)


@pytest.mark.parametrize("ip_version", [4, 6])
def test_a_real_database_maps_country_and_continent_codes(tmp_path: Path, ip_version: int) -> None:
    resolver = _resolver(tmp_path, ip_version=ip_version)
    assert resolver.resolve(None, "192.0.2.77") == "eu"
    assert resolver.resolve(None, "198.51.100.5") == "us"


@pytest.mark.parametrize("ip_version", [4, 6])
def test_an_address_missing_from_the_database_gets_the_default(
    tmp_path: Path, ip_version: int
) -> None:
    resolver = _resolver(tmp_path, ip_version=ip_version)
    assert resolver.resolve(None, "203.0.113.9") == "eu"
    assert resolver.resolve(None, "2001:db8::1") == "eu"
    assert resolver.resolve(None, "not-an-ip") == "eu"


def test_a_code_without_a_mapping_gets_the_default(tmp_path: Path) -> None:
    database = _write_country_db(tmp_path / "country.mmdb", ip_version=6)
    settings = load_settings(
        data_dir=tmp_path,
        cdn={"regions": ["ap", "eu", "us"], "geoip_db": database, "geoip_regions": {"US": "us"}},
    )
    resolver = RegionResolver.from_settings(settings)
    assert resolver.resolve(None, "192.0.2.77") == "ap"
    assert resolver.resolve(None, "198.51.100.5") == "us"


def test_the_gateway_header_beats_geoip(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path)
    assert resolver.resolve("ap", "192.0.2.77") == "ap"
    assert resolver.resolve("US", "192.0.2.77") == "us"


def test_the_cidr_map_beats_geoip(tmp_path: Path) -> None:
    resolver = _resolver(tmp_path, cidr_regions={"192.0.2.0/25": "ap"})
    assert resolver.resolve(None, "192.0.2.1") == "ap"
    assert resolver.resolve(None, "192.0.2.200") == "eu"
