"""The origin serves every object store backend alike: local files zero-copy, S3 streamed."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.cdn import make_settings, write_asset
from tests.support.ports import free_port
from tests.support.seaweedfs import SeaweedFS
from vodstack.cdn.origin import OriginApp
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.storage import LocalObjectStore, ObjectStore
from vodstack.storage.s3 import S3ObjectStore

pytestmark = pytest.mark.anyio

SEG = "720p/seg_00001.m4s"


def _store(backend: str, request: pytest.FixtureRequest, objects: Path) -> ObjectStore:
    if backend == "local":
        return LocalObjectStore(objects)
    seaweedfs: SeaweedFS = request.getfixturevalue("seaweedfs")
    return seaweedfs.new_store()


@pytest.fixture(params=["local", "s3"])
async def origin(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, bytes], str]]:
    settings = make_settings(tmp_path / "data", regions=["eu"], edges_per_region=1)
    staged = tmp_path / "staged"
    files = write_asset(staged, "t1")
    store = _store(request.param, request, tmp_path / "objects")
    store.publish_dir(staged / asset_key_prefix("t1", "v1"), asset_key_prefix("t1", "v1"))
    shutil.rmtree(staged)
    token = TokenSigner.from_settings(settings).sign(asset_url_prefix("t1", "v1"), "test", 600)
    app = OriginApp(settings, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://origin") as client:
        yield client, files, token


def _url(token: str, file: str = SEG) -> str:
    return f"/v/t1/v1/{file}?t={token}"


async def test_whole_files_with_their_headers(
    origin: tuple[httpx.AsyncClient, dict[str, bytes], str],
) -> None:
    client, files, token = origin
    segment = await client.get(_url(token))
    master = await client.get(_url(token, "master.m3u8"))
    assert segment.status_code == master.status_code == 200
    assert segment.content == files[SEG]
    assert master.content == files["master.m3u8"]
    assert segment.headers["content-length"] == str(len(files[SEG]))
    assert segment.headers["content-type"] == "video/iso.segment"
    assert segment.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert segment.headers["accept-ranges"] == "bytes"
    assert segment.headers["x-served-by"] == "origin"
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"


async def test_ranges_validators_and_head(
    origin: tuple[httpx.AsyncClient, dict[str, bytes], str],
) -> None:
    client, files, token = origin
    size = len(files[SEG])
    part = await client.get(_url(token), headers={"range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == files[SEG][1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{size}"
    tail = await client.get(_url(token), headers={"range": "bytes=-100"})
    assert tail.content == files[SEG][-100:]
    etag = part.headers["etag"]
    cached = await client.get(_url(token), headers={"if-none-match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    stale = await client.get(_url(token), headers={"range": "bytes=0-9", "if-range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == files[SEG]
    past = await client.get(_url(token), headers={"range": f"bytes={size}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    head = await client.head(_url(token))
    assert head.status_code == 200
    assert head.headers["content-length"] == str(size)
    assert head.content == b""


async def test_missing_files_and_bad_tokens(
    origin: tuple[httpx.AsyncClient, dict[str, bytes], str],
) -> None:
    client, _, token = origin
    missing = await client.get(_url(token, "720p/seg_09999.m4s"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    denied = await client.get(_url("bogus"))
    assert denied.status_code == 403


async def test_an_s3_endpoint_that_is_down_is_a_clean_503(
    seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", regions=["eu"], edges_per_region=1)
    storage = seaweedfs.settings("any").model_copy(
        update={"s3_endpoint": f"http://127.0.0.1:{free_port()}", "s3_max_attempts": 1}
    )
    app = OriginApp(settings, store=S3ObjectStore.from_settings(storage))
    token = TokenSigner.from_settings(settings).sign(asset_url_prefix("t1", "v1"), "test", 600)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://origin") as client:
        reply = await client.get(_url(token))
    assert reply.status_code == 503
    error = reply.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "object store" in error["message"]
