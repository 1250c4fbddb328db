"""Delivery-tier statuses the platform tree (`core.errors`) does not name.

    VodstackError (core)
    ├── MethodNotAllowed       405 method_not_allowed
    ├── RangeNotSatisfiable    416 range_not_satisfiable  (carries the object size)
    └── BadGateway             502 bad_gateway            (an upstream answered nonsense)

Mapped to HTTP in one place: `file_response.send_error`.
"""

from __future__ import annotations

from vodstack.core.errors import VodstackError


class MethodNotAllowed(VodstackError):
    status = 405
    default_code = "method_not_allowed"


class RangeNotSatisfiable(VodstackError):
    status = 416
    default_code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"The requested range lies outside the object ({size} bytes).")
        self.size = size


class BadGateway(VodstackError):
    status = 502
    default_code = "bad_gateway"
