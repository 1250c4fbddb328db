"""Admin subtitles through the gateway: the 422 a broken file gets (every line in `details`),
admins only, and a good file listed for the title."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.media_stack import MediaStack, media_stack_for
from vodstack.config.settings import Settings

TITLE = {"name": "Subtitled", "year": 2024, "genres": ["Drama"], "maturity": "teen"}
SRT = "1\n00:00:01,000 --> 00:00:02,500\nBonjour\n"


@pytest.fixture
def media(settings: Settings) -> Iterator[MediaStack]:
    with media_stack_for(settings) as running:
        yield running


def test_subtitles_are_checked_stored_and_listed(media: MediaStack) -> None:
    admin = media.admin()
    created = admin.post("/api/admin/titles", json=TITLE)
    assert created.status_code == 201, created.text
    title_id = created.json()["id"]
    url = f"/api/admin/titles/{title_id}/subtitles"

    broken = SRT.replace("00:00:02,500", "00:00:00,500") + "\n2\nno timing here\n"
    refused = admin.request("PUT", f"{url}/fr", content=broken.encode())
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_subtitles"
    assert [d["line"] for d in error["details"]] == [2, 5]
    assert (
        "line 2: 00:00:01.000 --> 00:00:00.500: the end is not after the start" in error["message"]
    )
    assert admin.request("PUT", f"{url}/xx_YY", content=SRT.encode()).status_code == 422

    stored = admin.request("PUT", f"{url}/fr", params={"name": "Français"}, content=SRT.encode())
    assert stored.status_code == 200, stored.text
    assert stored.json()["cues"] == 1
    assert [t["lang"] for t in admin.get(url).json()] == ["fr"]

    viewer = media.viewer()
    assert viewer.request("PUT", f"{url}/en", content=SRT.encode()).status_code == 403
