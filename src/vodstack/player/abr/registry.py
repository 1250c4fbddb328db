"""The ABR algorithms by name; `vodstack-adaptive` is the default everywhere (docs/abr.md)."""

from __future__ import annotations

from collections.abc import Callable

from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.bba import BufferBased
from vodstack.player.abr.bola import Bola
from vodstack.player.abr.interface import AbrAlgorithm
from vodstack.player.abr.learned import LearnedAbr
from vodstack.player.abr.robust_mpc import RobustMpc
from vodstack.player.abr.throughput import ThroughputRule
from vodstack.player.abr.vodstack import VodstackAbr

DEFAULT_ALGORITHM = AdaptiveAbr.name

_FACTORIES: dict[str, Callable[[], AbrAlgorithm]] = {
    cls.name: cls
    for cls in (ThroughputRule, BufferBased, Bola, RobustMpc, VodstackAbr, LearnedAbr, AdaptiveAbr)
}


class UnknownAlgorithm(KeyError):
    """No algorithm is registered under that name."""

    def __str__(self) -> str:
        return f"unknown ABR algorithm {self.args[0]!r}; choose one of {', '.join(names())}"


def names() -> list[str]:
    """Registered algorithm names, in a stable order."""
    return list(_FACTORIES)


def create(name: str = DEFAULT_ALGORITHM) -> AbrAlgorithm:
    """A fresh instance (one per playback session) of the algorithm registered as `name`."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownAlgorithm(name) from None
    return factory()
