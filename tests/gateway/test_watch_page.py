"""The watch page and the API docs: local vendor files, a CSP that admits the edges."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gateway import Stack
from vodstack.delivery.topology import Topology
from vodstack.gateway import vendor


def _playable(stack: Stack, titles: dict[str, int], name: str = "Midnight Harvest") -> int:
    title_id = titles[name]
    change = {"availability": "available", "asset_version": "20250101T000000Z-abc123"}
    assert stack.catalog.put(f"/v1/titles/{title_id}/availability", json=change).status_code == 200
    return title_id


@pytest.fixture
def no_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "no-vendor")


def test_the_watch_page_loads_the_player_and_allows_exactly_the_edges(
    stack: Stack, titles: dict[str, int]
) -> None:
    title_id = _playable(stack, titles)
    response = stack.viewer().get(f"/watch/{title_id}")
    assert response.status_code == 200
    page = response.text
    assert 'src="/static/player/watch.js"' in page and 'data-format="hls"' in page
    assert f'data-title-id="{title_id}"' in page
    assert "cdn." not in page  # no third-party script host anywhere
    policy = response.headers["content-security-policy"]
    topology = Topology.from_settings(stack.settings)
    for url in [*(edge.url for edge in topology.edges), topology.origin_url]:
        assert url in policy.split("connect-src")[1].split(";")[0]
    assert "media-src 'self' blob:" in policy and "script-src 'self';" in policy


def test_dash_is_chosen_by_query(stack: Stack, titles: dict[str, int]) -> None:
    title_id = _playable(stack, titles)
    viewer = stack.viewer()
    assert 'data-format="dash"' in viewer.get(f"/watch/{title_id}?format=dash").text
    assert 'data-format="hls"' in viewer.get(f"/watch/{title_id}?format=bogus").text


def test_a_title_still_processing_has_no_player(stack: Stack, titles: dict[str, int]) -> None:
    title_id = titles["Midnight Harvest"]
    body = {"availability": "processing", "asset_version": None}
    assert stack.catalog.put(f"/v1/titles/{title_id}/availability", json=body).status_code == 200
    assert stack.viewer().get(f"/watch/{title_id}").status_code == 404, "hidden from viewers"
    page = stack.admin().get(f"/watch/{title_id}").text
    assert 'id="player-unavailable"' in page and "watch.js" not in page


def test_watching_needs_a_profile_and_the_maturity(stack: Stack, titles: dict[str, int]) -> None:
    assert stack.visitor().get("/watch/1").headers["location"].startswith("/login?next=/watch/1")
    viewer = stack.viewer()
    kids = viewer.add_profile("Kid", "kids")
    viewer.watch_as(kids)
    assert viewer.get(f"/watch/{titles['Midnight Harvest']}").status_code == 404


@pytest.mark.usefixtures("no_vendor")
def test_without_vendor_files_the_page_says_how_to_install(
    stack: Stack, titles: dict[str, int]
) -> None:
    page = stack.viewer().get(f"/watch/{_playable(stack, titles)}").text
    assert "scripts/install" in page and "data-vendor-missing=" in page


def test_api_docs_use_the_local_swagger_ui(stack: Stack) -> None:
    page = stack.visitor().get("/api/docs")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui-bundle.js" in page.text
    assert "cdn.jsdelivr" not in page.text and "unpkg" not in page.text


@pytest.mark.usefixtures("no_vendor")
def test_api_docs_without_vendor_files_point_to_the_raw_description(stack: Stack) -> None:
    page = stack.visitor().get("/api/docs")
    assert page.status_code == 503 and "/api/openapi.json" in page.text
