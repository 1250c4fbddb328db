"""Artwork an editor uploads: real images kept and served back, anything else refused (422)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.catalog import CreateTitle


def _image(kind: str = "PNG", size: tuple[int, int] = (320, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 60)).save(out, kind)
    return out.getvalue()


def test_an_uploaded_image_is_served_back_with_its_type(
    client: TestClient, create_title: CreateTitle
) -> None:
    title_id = create_title()["id"]
    assert client.get(f"/v1/titles/{title_id}/artwork").json()["error"]["code"] == "no_artwork"

    stored = client.put(f"/v1/titles/{title_id}/artwork", content=_image("JPEG"))

    assert stored.status_code == 200, stored.text
    assert (stored.json()["width"], stored.json()["height"]) == (320, 180)
    served = client.get(f"/v1/titles/{title_id}/artwork")
    assert served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (320, 180)
    assert client.delete(f"/v1/titles/{title_id}/artwork").status_code == 204
    assert client.get(f"/v1/titles/{title_id}/artwork").status_code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not a picture at all", "not an image"),
        (_image("PNG")[:60], "not an image"),  # cut short
        (_image("GIF"), "GIF images are not accepted"),
        (_image("PNG", (40, 40)), "each side must be"),
    ],
)
def test_junk_is_refused_with_a_reason(
    client: TestClient, create_title: CreateTitle, body: bytes, says: str
) -> None:
    title_id = create_title()["id"]

    refused = client.put(f"/v1/titles/{title_id}/artwork", content=body)

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_artwork"
    assert says in refused.json()["error"]["message"]
    assert client.get(f"/v1/titles/{title_id}/artwork").status_code == 404


def test_bare_poster_leaves_the_name_out(client: TestClient, create_title: CreateTitle) -> None:
    title_id = create_title(name="Copper Lanterns")["id"]

    bare = client.get(f"/v1/titles/{title_id}/artwork.svg", params={"bare": "true"}).text

    assert "<svg" in bare
    assert "Copper" not in bare.split(">", 1)[1]  # only the image's label for screen readers
