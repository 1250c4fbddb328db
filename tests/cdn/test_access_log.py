"""The edge's access log (issue 14, point 6): a line per request with route, status, bytes
and cache outcome, never the token; rotated past its size; off when configured off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cdn.inprocess import running_stack
from tests.support.cdn import make_settings, write_asset
from vodstack.cdn.access_log import ASSET_ROUTE, AccessLog

pytestmark = pytest.mark.anyio

SEG = "720p/seg_00000.m4s"


def _lines(settings_dir: Path) -> list[list[str]]:
    text = (settings_dir / "edges" / "edge-eu-1" / "access.log").read_text()
    return [line.split(" ") for line in text.splitlines()]


async def test_each_request_gets_a_line_with_status_bytes_and_cache(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    size = len(files[SEG])
    async with running_stack(settings, "edge-eu-1") as stack:
        edge = stack.edges["edge-eu-1"]
        url = stack.url("edge-eu-1", "t1", SEG)
        token = url.split("?t=")[1]
        assert (await stack.client.get(url)).status_code == 200
        await edge.settle()
        assert (await stack.client.get(url)).status_code == 200
        ranged = await stack.client.get(url, headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206
        denied = await stack.client.get(url.split("?")[0] + "?t=forged")
        assert denied.status_code == 403
        assert (
            await stack.client.get(f"{stack.topology.edge('edge-eu-1').url}/healthz")
        ).is_success
        health = (await stack.client.get(f"{stack.topology.edge('edge-eu-1').url}/healthz")).json()
    assert health["requests"] == 4
    assert health["served_bytes"] == 2 * size + 100
    lines = _lines(settings.data_dir)
    assert "?" not in "".join(" ".join(line) for line in lines) and token not in str(lines)
    path = f"/v/t1/v1/{SEG}"
    assert lines[0][1:] == ["GET", ASSET_ROUTE, "200", str(size), "MISS", path]
    assert lines[1][1:] == ["GET", ASSET_ROUTE, "200", str(size), "HIT", path]
    assert lines[2][1:] == ["GET", ASSET_ROUTE, "206", "100", "HIT", path]
    assert lines[3][1:] == ["GET", ASSET_ROUTE, "403", "0", "-", path]
    assert lines[4][1:4] == ["GET", "/healthz", "200"]
    assert lines[0][0].endswith("Z") and "T" in lines[0][0]


async def test_no_log_file_when_turned_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1, access_log=False)
    write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        assert (await stack.client.get(stack.url("edge-eu-1", "t1", SEG))).status_code == 200
    assert not (settings.data_dir / "edges" / "edge-eu-1" / "access.log").exists()


async def test_the_file_is_rotated_past_its_size(tmp_path: Path) -> None:
    log = AccessLog(tmp_path / "access.log", max_bytes=200)
    log.start()
    try:
        for n in range(5):
            log.write("GET", ASSET_ROUTE, 200, n, "HIT", b"/v/t/v/seg.m4s")
            log.flush()
        log.write("GET", ASSET_ROUTE, 200, 99, "HIT", b"/v/t/v/last.m4s")
    finally:
        await log.close()
    rotated = (tmp_path / "access.log.1").read_text().splitlines()
    current = (tmp_path / "access.log").read_text().splitlines()
    assert len(rotated) + len(current) == 6
    assert current[-1].endswith(" 99 HIT /v/t/v/last.m4s")
