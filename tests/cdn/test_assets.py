from __future__ import annotations

import pytest

from vodstack.core.errors import BadRequest, NotFound
from vodstack.delivery.assets import asset_from_relative, parse_asset_path


def test_a_segment_path_parses_into_its_parts() -> None:
    asset = parse_asset_path(b"/v/t-1/2024_01.a/720p/seg_00001.m4s")
    assert (asset.title, asset.version, asset.file) == ("t-1", "2024_01.a", "720p/seg_00001.m4s")
    assert asset.prefix == b"/v/t-1/2024_01.a/"
    assert asset.store_key == "titles/t-1/2024_01.a/720p/seg_00001.m4s"


@pytest.mark.parametrize(
    "raw",
    [
        b"/v/../../etc/passwd",
        b"/v/t1/v1/../../../etc/passwd",
        b"/v/t1/v1/%2e%2e/%2e%2e/etc/passwd",
        b"/v/t1/v1/%2E%2E%2Fsecret",
        b"/v/t1/v1/..%5c..%5cwin.ini",
        b"/v/t1/v1/..\\..\\win.ini",
        b"/v/t1/v1/a\x00b.m4s",
        b"/v/t1/v1/a%00b.m4s",
        b"/v//etc/passwd",
        b"/v/t1/v1//etc/passwd",
        b"/v/t1/v1/.hidden",
        b"/v/t1/v1/./master.m3u8",
        b"/v/t1/v1/",
        b"/v/t1/v1",
        b"/v/t1/v1/a/b/c/d/e/deep.m4s",
    ],
)
def test_traversal_and_malformed_paths_are_rejected(raw: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_asset_path(raw)


@pytest.mark.parametrize("raw", [b"/etc/passwd", b"//etc/passwd", b"/titles/t1/v1/x.m4s"])
def test_paths_outside_the_asset_root_are_not_found(raw: bytes) -> None:
    with pytest.raises(NotFound):
        parse_asset_path(raw)


def test_cache_file_names_map_back_to_assets() -> None:
    asset = asset_from_relative("t1/v1/720p/init.mp4")
    assert asset is not None and asset.raw == b"/v/t1/v1/720p/init.mp4"
    assert asset_from_relative("t1/v1/../x") is None
    assert asset_from_relative("t1/v1/é.m4s") is None
