"""Counters of the delivery tier as plain ints, rendered as Prometheus text on `/metrics`.

Plain attributes instead of prometheus_client objects: a cache hit bumps two ints, no locks,
no label lookups. The exposition format is simple enough to write directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vodstack.cdn.upstream import Source
from vodstack.delivery.tokens import TokenCheck

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[Mapping[str, str], float]


def _family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> str:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(
            f"{name}{{{label_text}}} {value:.17g}" if label_text else f"{name} {value:.17g}"
        )
    return "\n".join(lines)


def _render(families: Iterable[tuple[str, str, str, list[Sample]]]) -> bytes:
    text = "\n".join(
        _family(f"vodstack_{name}", kind, help_text, samples)
        for name, kind, help_text, samples in families
    )
    return (text + "\n").encode()


def _one(value: int) -> list[Sample]:
    return [({}, float(value))]


def one_float(value: float) -> list[Sample]:
    return [({}, value)]


def _by(label: str, values: Mapping[str, int], keys: Iterable[str]) -> list[Sample]:
    return [({label: key}, float(values.get(key, 0))) for key in keys]


_SOURCES = [source.value for source in Source]
_UPSTREAMS = [Source.PEER.value, Source.ORIGIN.value]
_DENIALS = [check.value for check in TokenCheck if check is not TokenCheck.OK]


@dataclass
class EdgeStats:
    """What an edge did since it started."""

    edge: str
    hits: int = 0
    misses: int = 0
    shared_misses: int = 0  # misses that joined a fill already in progress
    in_flight: int = 0
    errors: int = 0
    served_bytes: Counter[str] = field(default_factory=Counter)
    fill_bytes: Counter[str] = field(default_factory=Counter)
    upstream_requests: Counter[str] = field(default_factory=Counter)
    fills: Counter[str] = field(default_factory=Counter)  # by outcome
    denied: Counter[str] = field(default_factory=Counter)  # by token check

    @property
    def byte_hit_ratio(self) -> float:
        """Offload: body bytes served from this edge's disk / all body bytes it served."""
        total = sum(self.served_bytes.values())
        return self.served_bytes[Source.CACHE.value] / total if total else 0.0

    def traffic(self) -> dict[str, object]:
        """The offload figures `/healthz` reports (the admin CDN page and `vodstack status`)."""
        return {
            "byte_hit_ratio": round(self.byte_hit_ratio, 4),
            "served_bytes_by_source": {key: self.served_bytes[key] for key in _SOURCES},
            "fill_bytes": {key: self.fill_bytes[key] for key in _UPSTREAMS},
        }

    def render(
        self,
        *,
        evictions: int,
        used: int,
        capacity: int,
        objects: int,
        fills: int,
        region: str = "",
        policy: str = "",
        titles: int = 0,
    ) -> bytes:
        one = _one
        info = {"edge": self.edge, "region": region, "policy": policy}
        return _render(
            [
                ("edge_info", "gauge", "This edge's region and eviction policy", [(info, 1.0)]),
                (
                    "edge_byte_hit_ratio",
                    "gauge",
                    "Body bytes served from disk / all body bytes served, since start",
                    one_float(self.byte_hit_ratio),
                ),
                ("edge_titles_held", "gauge", "Titles with bytes on disk", one(titles)),
                ("edge_hits_total", "counter", "Requests served from disk", one(self.hits)),
                ("edge_misses_total", "counter", "Requests not in the cache", one(self.misses)),
                (
                    "edge_shared_misses_total",
                    "counter",
                    "Misses that joined a fill already in progress",
                    one(self.shared_misses),
                ),
                (
                    "edge_served_bytes_total",
                    "counter",
                    "Body bytes sent to clients, by where they came from",
                    _by("source", self.served_bytes, _SOURCES),
                ),
                (
                    "edge_fill_bytes_total",
                    "counter",
                    "Bytes fetched into the cache, by upstream",
                    _by("source", self.fill_bytes, _UPSTREAMS),
                ),
                (
                    "edge_upstream_requests_total",
                    "counter",
                    "Requests sent to peers and origin",
                    _by("source", self.upstream_requests, _UPSTREAMS),
                ),
                (
                    "edge_fills_total",
                    "counter",
                    "Finished fills by outcome",
                    _by("outcome", self.fills, ["cached", "refused", "uncached", "failed"]),
                ),
                (
                    "edge_denied_total",
                    "counter",
                    "Requests refused for their token",
                    _by("reason", self.denied, _DENIALS),
                ),
                (
                    "edge_evictions_total",
                    "counter",
                    "Objects evicted, by the policy that chose them",
                    [({"policy": policy}, float(evictions))] if policy else one(evictions),
                ),
                ("edge_errors_total", "counter", "Answers with a 5xx status", one(self.errors)),
                ("edge_in_flight_requests", "gauge", "Requests being handled", one(self.in_flight)),
                ("edge_fills_in_progress", "gauge", "Fills running now", one(fills)),
                ("edge_cache_bytes", "gauge", "Bytes on disk", one(used)),
                ("edge_capacity_bytes", "gauge", "Disk budget", one(capacity)),
                ("edge_cache_objects", "gauge", "Objects on disk", one(objects)),
            ]
        )


@dataclass
class OriginStats:
    """What the origin did since it started."""

    requests: Counter[str] = field(default_factory=Counter)  # by status
    served_bytes: int = 0
    in_flight: int = 0
    denied: Counter[str] = field(default_factory=Counter)

    def render(self) -> bytes:
        by_status: list[Sample] = [
            ({"status": status}, float(n)) for status, n in sorted(self.requests.items())
        ]
        return _render(
            [
                ("origin_requests_total", "counter", "Asset requests by status", by_status),
                (
                    "origin_served_bytes_total",
                    "counter",
                    "Body bytes sent",
                    _one(self.served_bytes),
                ),
                (
                    "origin_denied_total",
                    "counter",
                    "Requests refused for their token",
                    _by("reason", self.denied, _DENIALS),
                ),
                (
                    "origin_in_flight_requests",
                    "gauge",
                    "Requests being handled",
                    _one(self.in_flight),
                ),
            ]
        )
