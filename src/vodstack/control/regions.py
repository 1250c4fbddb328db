"""Which region a viewer is in: the gateway's header, else a CIDR map, else GeoIP, else a default.

The header is trusted because only the gateway reaches playback (it strips any value a client
sent). CIDR ranges match longest prefix first. GeoIP needs the optional `maxminddb` package
and a database file; `geoip_regions` maps its country or continent codes to our regions.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from vodstack.config import Settings

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class GeoLookup(Protocol):
    def region_of(self, ip: str) -> str | None: ...


class MaxMindLookup:
    """A MaxMind (GeoLite2/GeoIP2) country or city database read with `maxminddb`."""

    def __init__(self, database: Path, code_to_region: Mapping[str, str]) -> None:
        try:
            maxminddb = importlib.import_module("maxminddb")
        except ModuleNotFoundError as exc:
            raise RuntimeError(
                "cdn.geoip_db is set but the 'maxminddb' package is not installed "
                "(pip install maxminddb)"
            ) from exc
        self._reader: Any = maxminddb.open_database(str(database))
        self._map = {code.upper(): region for code, region in code_to_region.items()}

    def region_of(self, ip: str) -> str | None:
        try:
            record = self._reader.get(ip)
        except ValueError:
            # An IPv4-only database raises for IPv6 addresses: unknown, not a failure.
            return None
        if not isinstance(record, dict):
            return None
        for field in ("country", "continent"):
            code = (record.get(field) or {}).get("iso_code") or (record.get(field) or {}).get(
                "code"
            )
            if isinstance(code, str) and code.upper() in self._map:
                return self._map[code.upper()]
        return None


class RegionResolver:
    """Maps a request (gateway header, client address) to one of the configured regions."""

    def __init__(
        self,
        regions: list[str],
        *,
        cidr_regions: Mapping[str, str] | None = None,
        geo: GeoLookup | None = None,
        default: str | None = None,
    ) -> None:
        self.regions = list(regions)
        self.default = default or self.regions[0]
        networks = [
            (ipaddress.ip_network(c, strict=False), r) for c, r in (cidr_regions or {}).items()
        ]
        unknown = {region for _net, region in networks} - set(self.regions)
        if unknown:
            raise ValueError(f"cidr_regions names unknown regions: {sorted(unknown)}")
        # Longest prefix first, so a /24 inside a /8 wins.
        self._networks: list[tuple[IpNetwork, str]] = sorted(
            networks, key=lambda item: item[0].prefixlen, reverse=True
        )
        self._geo = geo

    @classmethod
    def from_settings(cls, settings: Settings) -> RegionResolver:
        cdn = settings.cdn
        geo = MaxMindLookup(cdn.geoip_db, cdn.geoip_regions) if cdn.geoip_db else None
        return cls(cdn.regions, cidr_regions=cdn.cidr_regions, geo=geo)

    def resolve(self, header_region: str | None = None, client_ip: str | None = None) -> str:
        if header_region and header_region.strip().lower() in self.regions:
            return header_region.strip().lower()
        if client_ip:
            found = self._from_ip(client_ip)
            if found is not None:
                return found
        return self.default

    def _from_ip(self, client_ip: str) -> str | None:
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return None
        for network, region in self._networks:
            if address.version == network.version and address in network:
                return region
        if self._geo is not None:
            located = self._geo.region_of(client_ip)
            if located in self.regions:
                return located
        return None
