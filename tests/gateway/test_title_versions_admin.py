"""Admin changes that publish a new version, through the gateway: a title's encryption and an
added audio language (admins only; the pipeline's refusals reach the admin as they are)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.media_stack import MediaStack, media_stack_for
from vodstack.config.settings import Settings

TITLE = {"name": "Dubbed Later", "year": 2024, "genres": ["Drama"], "maturity": "teen"}


@pytest.fixture
def media(settings: Settings) -> Iterator[MediaStack]:
    with media_stack_for(settings) as running:
        yield running


def test_encryption_and_audio_routes_for_admins(media: MediaStack) -> None:
    admin = media.admin()
    title_id = admin.post("/api/admin/titles", json=TITLE).json()["id"]
    url = f"/api/admin/titles/{title_id}/encryption"
    assert admin.get(url).json() == {"encrypt": False}
    # Nothing published yet: the setting is kept for the first upload, no job is started.
    changed = admin.request("PUT", url, json={"encrypt": True})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"title_id": title_id, "encrypt": True, "job_id": None}
    assert admin.get(url).json() == {"encrypt": True}

    audio = f"/api/admin/audio/{title_id}"
    missing = admin.post(audio, params={"language": "fr"}, content=b"audio")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_master"
    assert admin.post(audio, params={"language": "French"}, content=b"a").status_code == 422
    assert admin.post("/api/admin/audio/999999", params={"language": "fr"}).status_code == 404

    edit = admin.get(f"/admin/titles/{title_id}/edit").text
    assert 'id="audio-form"' in edit and 'id="encryption-form"' in edit
    assert 'id="upload-encrypt"' in admin.get("/admin/upload").text

    viewer = media.viewer()
    assert viewer.request("PUT", url, json={"encrypt": False}).status_code == 403
    assert viewer.post(audio, params={"language": "fr"}, content=b"a").status_code == 403
