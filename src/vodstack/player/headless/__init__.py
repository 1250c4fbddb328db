"""The headless player: real gateway, real edges, simulated (or paced) playback time.

Layers, one way:  player  ->  failover, buffer, throttle, playlists, gateway (HTTP)  ->  abr.
"""

from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.headless.report import PlaybackReport

__all__ = ["GatewayError", "GatewaySession", "HeadlessPlayer", "PlayOptions", "PlaybackReport"]
