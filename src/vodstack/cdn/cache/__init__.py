"""An edge's disk cache: bounded bytes, pluggable eviction, atomic fills, in-progress fills."""

from vodstack.cdn.cache.admission import TitleAdmission, make_admission
from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.disk import DiskCache
from vodstack.cdn.cache.eviction import EvictionPolicy, FifoPolicy, LruPolicy
from vodstack.cdn.cache.flight import Flight, FlightState
from vodstack.cdn.cache.policies import make_policy
from vodstack.cdn.cache.s3fifo import S3FifoPolicy
from vodstack.cdn.cache.sieve import SievePolicy

__all__ = [
    "ByteBudget",
    "DiskCache",
    "EvictionPolicy",
    "FifoPolicy",
    "Flight",
    "FlightState",
    "LruPolicy",
    "S3FifoPolicy",
    "SievePolicy",
    "TitleAdmission",
    "make_admission",
    "make_policy",
]
