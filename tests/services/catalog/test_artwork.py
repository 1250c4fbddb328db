"""Generated posters: valid SVG, safe text, stable bytes, cacheable."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle
from vodstack.services.catalog.artwork import PALETTES, palette_for, poster_svg

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    # A wrapped title is several <tspan> lines; join them back with spaces.
    return [" ".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_poster_is_a_2_by_3_svg(client: TestClient, create_title: CreateTitle) -> None:
    title_id = create_title(name="Copper Lanterns", genres=["Sci-Fi"])["id"]

    response = client.get(f"/v1/titles/{title_id}/artwork.svg")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "max-age=" in response.headers["cache-control"]
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    assert int(root.attrib["width"]) * 3 == int(root.attrib["height"]) * 2
    assert PALETTES["sci-fi"].top in response.text
    assert "Copper" in " ".join(_texts(response.text))


@pytest.mark.parametrize(
    "name",
    [
        'Tom & Jerry <script>alert("x")</script>',
        "]]> <!-- ' \" &amp;",
        "Control\x01chars\x1f here",
        "A" * 200,
        "Один 🎬 映画",
    ],
)
def test_any_name_gives_well_formed_xml(name: str) -> None:
    svg = poster_svg(name, "Drama & <Crime>", "drama-crime")

    texts = _texts(svg)  # raises on malformed XML
    assert "<script>" not in svg
    assert any("DRAMA & <CRIME>" in text for text in texts)
    assert ET.fromstring(svg).attrib["aria-label"] == name.replace("\x01", "").replace("\x1f", "")


def test_escaped_name_round_trips_through_the_api(
    client: TestClient, create_title: CreateTitle
) -> None:
    title_id = create_title(name="Salt & <Pepper>")["id"]

    svg = client.get(f"/v1/titles/{title_id}/artwork.svg").text

    assert "Salt &amp; &lt;Pepper&gt;" in svg
    assert "Salt & <Pepper>" in " ".join(_texts(svg))


def test_poster_is_deterministic_and_etag_revalidates(
    client: TestClient, create_title: CreateTitle
) -> None:
    title_id = create_title(name="Slow Orbit")["id"]
    path = f"/v1/titles/{title_id}/artwork.svg"

    first, second = client.get(path), client.get(path)
    assert first.content == second.content
    tag = first.headers["etag"]
    for header in (tag, f'"other", W/{tag}', "*"):
        not_modified = client.get(path, headers={"If-None-Match": header})
        assert not_modified.status_code == 304, header
        assert not_modified.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200

    client.patch(f"/v1/titles/{title_id}", json={"name": "Fast Orbit"})
    changed = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]


def test_different_titles_get_different_posters() -> None:
    assert poster_svg("North Wind", "Drama", "drama") != poster_svg("South Wind", "Drama", "drama")
    assert poster_svg("North Wind", "Drama", "drama") != poster_svg(
        "North Wind", "Comedy", "comedy"
    )


def test_unknown_genres_get_a_stable_palette() -> None:
    assert palette_for("polka-musicals") == palette_for("polka-musicals")
    assert palette_for("polka-musicals") != palette_for("sea-shanties")


def test_posters_can_be_inlined_side_by_side() -> None:
    # Inline SVGs in one HTML page share an id namespace; a shared gradient id would make
    # every poster take the first one's colours.
    def gradient_id(svg: str) -> str:
        node = ET.fromstring(svg).find(f"{SVG}defs/{SVG}linearGradient")
        assert node is not None
        return node.attrib["id"]

    first = poster_svg("North Wind", "Drama", "drama")
    second = poster_svg("South Wind", "Comedy", "comedy")
    assert gradient_id(first) != gradient_id(second)
    assert f"url(#{gradient_id(first)})" in first
