"""Base for typed service clients: timeouts, request-id propagation, error translation.

Every request carries a service token for `service` (core.service_auth) minted from the
caller's `credentials`: internal services answer nobody else.

Lower-level httpx errors are translated once, here: a timeout or refused connection becomes
`ServiceUnavailable`, a 4xx with the platform's error body becomes `UpstreamError` carrying the
same status, code and message, a 503 with that body (the service's own upstream is down) a
`ServiceUnavailable` with its message, anything else from upstream a `ServiceUnavailable`
naming the service.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from vodstack.config.settings import Settings
from vodstack.core.chaos import GROUP_HEADER, current_group_mark
from vodstack.core.context import REQUEST_ID_HEADER, current_request_id
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.core.service_auth import ServiceAuth, ServiceCredentials

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


class ServiceClient:
    """An async HTTP client for one service. Owns its connection pool; close it on shutdown."""

    service: str = "service"

    def __init__(
        self,
        base_url: str,
        *,
        credentials: ServiceCredentials,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            limits=limits,
            auth=ServiceAuth(credentials, self.service),
        )

    @classmethod
    def of(cls, settings: Settings, caller: str, **kwargs: Any) -> Self:
        """A client of the configured instance of this service, calling as `caller`."""
        credentials = ServiceCredentials.from_settings(settings, caller)
        return cls(settings.service_url(cls.service), credentials=credentials, **kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        rid = current_request_id()
        if rid != "-":
            headers[REQUEST_ID_HEADER] = rid
        mark = current_group_mark()
        if mark is not None:
            # A chaos experiment's request (core.chaos): its calls belong to the same group.
            headers[GROUP_HEADER] = mark
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(
                f"The {self.service} service did not answer in time.", code="upstream_timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"The {self.service} service is unreachable.", code="upstream_unreachable"
            ) from exc
        if response.status_code >= 400:
            raise _translate(self.service, response)
        return response

    async def get_model(self, path: str, model: type[ModelT], **kwargs: Any) -> ModelT:
        response = await self.request("GET", path, **kwargs)
        return model.model_validate_json(response.content)

    async def send_model(
        self, method: str, path: str, model: type[ModelT], **kwargs: Any
    ) -> ModelT:
        response = await self.request(method, path, **kwargs)
        return model.model_validate_json(response.content)

    async def get_as(self, path: str, adapter: TypeAdapter[T], **kwargs: Any) -> T:
        response = await self.request("GET", path, **kwargs)
        return adapter.validate_json(response.content)


def _translate(service: str, response: httpx.Response) -> Exception:
    error = _error_body(response)
    if 400 <= response.status_code < 500:
        if error is None:
            return UpstreamError(
                response.status_code, f"The {service} service refused the request.", code="refused"
            )
        code, message, details = error
        return UpstreamError(
            response.status_code,
            message,
            code=code,
            details=details,
            retry_after=_retry_after(response),
        )
    if response.status_code == 503 and error is not None:
        # The service is up but one of *its* upstreams is not: relay the message naming that
        # one ("The catalog service is unreachable."), not "the playback service failed".
        code, message, _details = error
        return ServiceUnavailable(message, code=code)
    return ServiceUnavailable(
        f"The {service} service failed ({response.status_code}).", code="upstream_error"
    )


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


def _error_body(response: httpx.Response) -> tuple[str, str, list[Any]] | None:
    """The platform's error shape (code, message, details), if the body is one."""
    try:
        error = response.json()["error"]
        return str(error["code"]), str(error["message"]), list(error.get("details") or [])
    except (ValueError, KeyError, TypeError):
        return None
