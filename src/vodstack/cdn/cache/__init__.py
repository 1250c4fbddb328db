"""An edge's disk cache: bounded bytes, pluggable eviction, atomic fills, in-progress fills."""

from vodstack.cdn.cache.disk import DiskCache
from vodstack.cdn.cache.eviction import EvictionPolicy, FifoPolicy, LruPolicy, make_policy
from vodstack.cdn.cache.flight import Flight, FlightState

__all__ = [
    "DiskCache",
    "EvictionPolicy",
    "FifoPolicy",
    "Flight",
    "FlightState",
    "LruPolicy",
    "make_policy",
]
