"""`KeepAliveTransport` answers like httpx's own transport, over a real socket to uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from vodstack.clients.keepalive import KeepAliveTransport

pytestmark = pytest.mark.anyio

KEEP_ALIVE_S = 1  # the server's idle timeout, short so the stale-connection case is quick
peers: list[int] = []  # client ports seen by the server: one per connection


async def echo(request: Request) -> Response:
    peers.append(request.client.port if request.client else 0)
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": (await request.body()).decode(),
            "header": request.headers.get("x-probe"),
        }
    )


async def status(request: Request) -> Response:
    return Response(status_code=int(request.path_params["code"]))


async def chunked(_: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"alpha,", b"beta,", b"gamma"):
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


async def closing(_: Request) -> Response:
    return Response(b"bye", headers={"Connection": "close"})


async def slow(_: Request) -> Response:
    await asyncio.sleep(1.0)
    return Response(b"late")


APP = Starlette(
    routes=[
        Route("/echo", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/status/{code:int}", status),
        Route("/chunked", chunked),
        Route("/closing", closing),
        Route("/slow", slow),
    ]
)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_in_thread(APP, timeout_keep_alive=KEEP_ALIVE_S) as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "httpx-default": httpx.AsyncHTTPTransport,
    "keep-alive": KeepAliveTransport,
}


@pytest.fixture(params=sorted(TRANSPORTS))
async def client(
    request: pytest.FixtureRequest, server_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    transport = TRANSPORTS[request.param]()
    async with httpx.AsyncClient(base_url=server_url, transport=transport, timeout=0.5) as c:
        yield c


async def test_methods_query_headers_and_bodies_arrive(client: httpx.AsyncClient) -> None:
    got = await client.get("/echo", params={"q": "a b"}, headers={"X-Probe": "yes"})
    assert got.status_code == 200
    assert got.json() == {
        "method": "GET",
        "path": "/echo",
        "query": "q=a+b",
        "body": "",
        "header": "yes",
    }
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        sent = await client.request(method, "/echo", json={"n": 1})
        assert sent.json()["method"] == method
        assert sent.json()["body"] == '{"n":1}'


async def test_streamed_request_bodies_arrive_whole(client: httpx.AsyncClient) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two"

    sent = await client.post("/echo", content=parts())
    assert sent.json()["body"] == "one,two"
    empty = await client.post("/echo")
    assert empty.json()["body"] == ""


async def test_statuses_without_bodies(client: httpx.AsyncClient) -> None:
    for code in (204, 304, 404, 500):
        response = await client.get(f"/status/{code}")
        assert response.status_code == code
        assert response.content == b""
    assert (await client.get("/echo")).status_code == 200  # the connection is still in sync


async def test_chunked_bodies_are_reassembled(client: httpx.AsyncClient) -> None:
    response = await client.get("/chunked")
    assert response.text == "alpha,beta,gamma"


async def test_connection_close_is_honoured(client: httpx.AsyncClient) -> None:
    assert (await client.get("/closing")).content == b"bye"
    assert (await client.get("/echo")).status_code == 200


async def test_a_connection_idled_out_by_the_server_is_replaced(client: httpx.AsyncClient) -> None:
    assert (await client.get("/echo")).status_code == 200
    await asyncio.sleep(KEEP_ALIVE_S + 0.5)
    assert (await client.get("/echo")).status_code == 200


async def test_read_timeout(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/slow")
    assert (await client.get("/echo")).status_code == 200


async def test_refused_connection() -> None:
    for transport in (httpx.AsyncHTTPTransport(), KeepAliveTransport()):
        async with httpx.AsyncClient(transport=transport) as c:
            with pytest.raises(httpx.ConnectError):
                await c.get(f"http://127.0.0.1:{free_port()}/")


async def test_keep_alive_reuses_one_connection(server_url: str) -> None:
    async with httpx.AsyncClient(base_url=server_url, transport=KeepAliveTransport()) as c:
        peers.clear()
        for _ in range(5):
            await c.get("/echo")
        assert len(set(peers)) == 1


async def test_concurrent_requests_each_get_their_own_answer(server_url: str) -> None:
    async with httpx.AsyncClient(base_url=server_url, transport=KeepAliveTransport()) as c:
        answers = await asyncio.gather(*(c.get("/echo", params={"i": str(i)}) for i in range(40)))
        assert [a.json()["query"] for a in answers] == [f"i={i}" for i in range(40)]
