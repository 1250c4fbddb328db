"""OpenAPI descriptions of the error answers, so clients see the one error shape per status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from vodstack.contracts.common import ErrorBody

_MEANING = {
    401: "Not logged in (`login_required`) or wrong credentials (`bad_credentials`)",
    402: "The payment was declined (`payment_declined`): use another payment method",
    403: "CSRF token missing or wrong (`csrf_failed`), or not allowed",
    404: "No such resource for this account or profile",
    409: "Conflicts with the current state (e.g. `profile_required`, `email_taken`)",
    413: "The request body is over the size limit (`too_large`)",
    422: "The request's fields are malformed (`invalid`)",
    429: "Too many attempts (`rate_limited` from this address, `locked_out` for this account or "
    "profile); see the Retry-After header",
    503: "An upstream service is down or slow (`upstream_unreachable`, `upstream_timeout`)",
}

# Ids are database keys; bounding them keeps absurd values from reaching the services.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can answer with these error statuses (503 always)."""
    chosen = sorted({*statuses, 503})
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in chosen}
