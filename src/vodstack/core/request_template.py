"""A service client's body-less requests, built from a template parsed once.

`httpx.Request("GET", url, headers=...)` parses and validates the whole URL (the host through
`ipaddress`), normalizes every header twice (once as given, once more after adding `Host`) and
encodes an empty body: about a third of a service call's CPU on the caller's side, three times
per playback start. Every call of one client shares its scheme, host, port and default
headers, so `RequestTemplate` parses those once, from a request httpx built itself, and a call
only swaps in its path and query and copies the headers.

Only paths and queries made of characters URL parsing leaves as they are take this way (the
typed clients' `/v1/titles/7`, `maturity=adult`); anything else is built by httpx as before
(`build` answers None), so the two always give the same request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

# Unreserved characters and "/" (paths); in queries also "=", "&", "+" and "%" escapes, which
# is all `httpx.QueryParams` produces for ASCII words and numbers.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9._~=&+-]*(%[0-9A-F]{2}[A-Za-z0-9._~=&+-]*)*")
_EMPTY = b""


class RequestTemplate:
    """Requests to one base URL with one set of default headers."""

    def __init__(self, base: httpx.Request, extensions: Mapping[str, object]) -> None:
        # The base request as httpx built it: its URL parsed, its Host and defaults added.
        self._reference = base.url._uri_reference
        self._prefix = self._reference.path.rstrip("/")
        self._headers = base.headers
        self._extensions = dict(extensions)

    def build(
        self, method: str, path: str, query: str, headers: Mapping[str, str]
    ) -> httpx.Request | None:
        """The request for `path?query` with `headers` added; None: let httpx build it."""
        if not _PLAIN_PATH.fullmatch(path) or not _PLAIN_QUERY.fullmatch(query):
            return None
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = self._reference._replace(path=self._prefix + path, query=query or None)
        merged = httpx.Headers(self._headers)
        for name, value in headers.items():
            merged[name] = value
        request = httpx.Request(
            method,
            url,
            headers=merged,
            stream=httpx.ByteStream(_EMPTY),
            extensions=self._extensions,
        )
        request.read()  # as httpx does for an in-memory body: `request.content` is b""
        return request
