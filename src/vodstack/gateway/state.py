"""What a gateway process holds between requests: settings, caches, limiters, clients."""

from __future__ import annotations

from dataclasses import dataclass

from vodstack.config.settings import Settings
from vodstack.core.redis_guard import RedisGuard
from vodstack.gateway.forwarded import ClientAddresses
from vodstack.gateway.rate_limit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter
from vodstack.gateway.session_cache import InMemorySessionCache, RedisSessionCache, SessionCache


@dataclass(frozen=True)
class GatewayState:
    settings: Settings
    session_cache: SessionCache
    login_limiter: RateLimiter
    signup_limiter: RateLimiter
    addresses: ClientAddresses

    @classmethod
    def in_process(cls, settings: Settings) -> GatewayState:
        """The single-instance wiring: every store lives in this process's memory."""
        return cls(
            settings=settings,
            session_cache=InMemorySessionCache(settings.session_cache_ttl_s),
            login_limiter=InMemoryRateLimiter(settings.login_rate),
            signup_limiter=InMemoryRateLimiter(settings.signup_rate),
            addresses=ClientAddresses(settings.trusted_proxies),
        )

    @classmethod
    def shared(cls, settings: Settings, redis: RedisGuard) -> GatewayState:
        """Several gateway instances as one: sessions and rate limits in Redis."""
        return cls(
            settings=settings,
            session_cache=RedisSessionCache(redis, settings.session_cache_ttl_s),
            login_limiter=RedisRateLimiter(redis, settings.login_rate, "login"),
            signup_limiter=RedisRateLimiter(redis, settings.signup_rate, "signup"),
            addresses=ClientAddresses(settings.trusted_proxies),
        )
