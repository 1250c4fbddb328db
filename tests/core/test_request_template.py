"""A client's GET built from its template is the request httpx would build; anything the
template cannot copy safely is left to httpx."""

from __future__ import annotations

import httpx
import pytest

from vodstack.core.request_template import RequestTemplate

BASES = ["http://127.0.0.1:8101", "http://catalog.internal:80/", "http://[::1]:9000/api"]
TARGETS: list[tuple[str, dict[str, str | int] | None]] = [
    ("/v1/titles/7", {"maturity": "adult"}),
    ("/v1/entitlements/123456789", {}),
    ("/v1/profiles/3/titles/7/position", None),
    ("/v1/search", {"q": "two words", "limit": 20}),
    ("/v1/search", {"q": "caf%C3%A9 100% = sure"}),
    ("/v1/titles/a.b~c_d-e", {"sort": "new", "offset": 40}),
]
HEADERS = {"x-request-id": "r-1", "X-Group": "g"}


def _both(base: str, path: str, params: dict[str, str | int] | None) -> tuple[httpx.Request, ...]:
    client = httpx.AsyncClient(base_url=base, timeout=3.0)
    extensions = {"timeout": client.timeout.as_dict()}
    template = RequestTemplate(client.build_request("GET", "/"), extensions)
    query = str(httpx.QueryParams(params)) if params else ""
    fast = template.build("GET", path, query, HEADERS)
    assert fast is not None
    slow = client.build_request("GET", path, params=params, headers=HEADERS)
    return fast, slow


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(("path", "params"), TARGETS)
def test_the_template_builds_what_httpx_builds(
    base: str, path: str, params: dict[str, str | int] | None
) -> None:
    fast, slow = _both(base, path, params)
    assert fast.method == slow.method
    assert str(fast.url) == str(slow.url)
    assert fast.url.raw_path == slow.url.raw_path
    assert (fast.url.host, fast.url.port, fast.url.scheme) == (
        slow.url.host,
        slow.url.port,
        slow.url.scheme,
    )
    assert sorted(fast.headers.multi_items()) == sorted(slow.headers.multi_items())
    assert fast.content == slow.content == b""
    assert fast.extensions["timeout"] == slow.extensions["timeout"]


def test_the_templates_requests_do_not_share_headers() -> None:
    client = httpx.AsyncClient(base_url="http://127.0.0.1:1")
    template = RequestTemplate(client.build_request("GET", "/"), {})
    first = template.build("GET", "/a", "", {})
    second = template.build("GET", "/b", "", {})
    assert first is not None and second is not None
    first.headers["x-token"] = "one"
    assert "x-token" not in second.headers


@pytest.mark.parametrize(
    ("path", "query"),
    [("/v1/titles/é", ""), ("/v1/a b", ""), ("/v1/x", "q=a b"), ("/v1/x", "q=%zz"), ("v1/x", "")],
)
def test_anything_unusual_is_left_to_httpx(path: str, query: str) -> None:
    client = httpx.AsyncClient(base_url="http://127.0.0.1:1")
    template = RequestTemplate(client.build_request("GET", "/"), {})
    assert template.build("GET", path, query, {}) is None
