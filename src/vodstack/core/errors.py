"""One exception tree for the platform, mapped to HTTP in exactly one place (core.app).

    VodstackError                 500 internal
    ├── BadRequest                400 bad_request
    ├── Unauthorized              401 unauthorized
    ├── PaymentRequired           402 payment_required (a charge was declined)
    ├── Forbidden                 403 forbidden
    ├── NotFound                  404 not_found
    ├── Conflict                  409 conflict
    ├── PayloadTooLarge           413 too_large
    ├── Invalid                   422 invalid
    ├── TooManyRequests           429 rate_limited   (carries retry_after)
    └── ServiceUnavailable        503 unavailable    (an upstream is down or timed out)

`UpstreamError` re-raises a service's 4xx answer in its caller with the same status and code,
so a message meant for a person travels through the gateway unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar


class VodstackError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal"

    def __init__(
        self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or []

    @property
    def status_code(self) -> int:
        return self.status


class BadRequest(VodstackError):
    status = 400
    default_code = "bad_request"


class Unauthorized(VodstackError):
    status = 401
    default_code = "unauthorized"


class PaymentRequired(VodstackError):
    status = 402
    default_code = "payment_required"


class Forbidden(VodstackError):
    status = 403
    default_code = "forbidden"


class NotFound(VodstackError):
    status = 404
    default_code = "not_found"


class Conflict(VodstackError):
    status = 409
    default_code = "conflict"


class PayloadTooLarge(VodstackError):
    status = 413
    default_code = "too_large"


class Invalid(VodstackError):
    status = 422
    default_code = "invalid"


class TooManyRequests(VodstackError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(VodstackError):
    status = 503
    default_code = "unavailable"


class UpstreamError(VodstackError):
    """A 4xx from another service, passed on with its status, code and message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self._status = status
        # A service's 429 keeps its Retry-After on the way through the gateway.
        self.retry_after = retry_after

    @property
    def status_code(self) -> int:
        return self._status
