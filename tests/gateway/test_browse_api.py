"""Browsing through the gateway: always as the selected profile, at its maturity level."""

from __future__ import annotations

from tests.support.gateway import Stack, Visitor


def _names(items: list[dict[str, object]]) -> set[object]:
    return {item["name"] for item in items}


def kids_viewer(stack: Stack) -> Visitor:
    visitor = stack.visitor()
    visitor.sign_up()
    visitor.watch_as(visitor.add_profile("Mia", "kids"))
    return visitor


def test_browsing_needs_a_login(stack: Stack) -> None:
    for url in ("/api/titles", "/api/titles/1", "/api/search?q=a", "/api/genres"):
        response = stack.visitor().get(url)
        assert response.status_code == 401, url
        error = response.json()["error"]
        assert error["code"] == "login_required"
        assert "log in" in error["message"]


def test_browsing_needs_a_profile(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    for url in ("/api/titles", "/api/titles/1", "/api/search?q=a", "/api/genres"):
        response = visitor.get(url)
        assert response.status_code == 409, url
        error = response.json()["error"]
        assert error["code"] == "profile_required"
        assert "profile" in error["message"]


def test_adult_profile_sees_everything(stack: Stack, titles: dict[str, int]) -> None:
    page = stack.viewer().get("/api/titles").json()
    assert page["total"] == 3
    assert _names(page["items"]) == set(titles)
    assert page["items"][0]["artwork_url"] == f"/artwork/{page['items'][0]['id']}/image"


def test_kids_never_see_adult_titles(stack: Stack, titles: dict[str, int]) -> None:
    kid = kids_viewer(stack)

    listing = kid.get("/api/titles?limit=100").json()
    assert _names(listing["items"]) == {"Bunny Brigade"}
    horror = kid.get("/api/titles?genre=horror").json()
    assert horror["items"] == []

    assert kid.get(f"/api/titles/{titles['Midnight Harvest']}").status_code == 404
    assert kid.get(f"/api/titles/{titles['Moonbase Academy']}").status_code == 404
    assert kid.get(f"/api/titles/{titles['Bunny Brigade']}").status_code == 200

    assert kid.get("/api/search?q=midnight").json()["items"] == []
    assert kid.get("/api/search?q=moon").json()["items"] == []
    assert _names(kid.get("/api/search?q=bun").json()["items"]) == {"Bunny Brigade"}

    genres = {g["slug"] for g in kid.get("/api/genres").json()}
    assert "horror" not in genres and "family" in genres


def test_a_query_parameter_cannot_raise_the_maturity(stack: Stack, titles: dict[str, int]) -> None:
    kid = kids_viewer(stack)
    listing = kid.get("/api/titles?maturity=adult").json()
    assert _names(listing["items"]) == {"Bunny Brigade"}
    assert kid.get("/api/search?q=midnight&maturity=adult").json()["items"] == []


def test_lowering_the_current_profile_takes_effect_at_once(
    stack: Stack, titles: dict[str, int]
) -> None:
    visitor = stack.viewer()
    me = visitor.get("/api/me").json()
    assert visitor.get("/api/titles").json()["total"] == 3  # the session is now cached

    patched = visitor.request(
        "PATCH", f"/api/profiles/{me['profile']['id']}", json={"maturity": "kids"}
    )
    assert patched.status_code == 200
    assert _names(visitor.get("/api/titles").json()["items"]) == {"Bunny Brigade"}


def test_listing_filters_and_pages(stack: Stack, titles: dict[str, int]) -> None:
    visitor = stack.viewer()
    series = visitor.get("/api/titles?kind=series").json()
    assert _names(series["items"]) == {"Moonbase Academy"}
    by_name = visitor.get("/api/titles?sort=title&limit=2&offset=1").json()
    assert [t["name"] for t in by_name["items"]] == ["Midnight Harvest", "Moonbase Academy"]
    assert (by_name["limit"], by_name["offset"], by_name["total"]) == (2, 1, 3)
    assert visitor.get("/api/titles?limit=0").status_code == 422
    assert visitor.get("/api/titles?sort=random").status_code == 422


def test_title_details(stack: Stack, titles: dict[str, int]) -> None:
    title = stack.viewer().get(f"/api/titles/{titles['Moonbase Academy']}").json()
    assert title["kind"] == "series"
    assert [e["name"] for e in title["seasons"][0]["episodes"]] == ["Arrival", "Low Gravity"]
    assert title["availability"] == "available"


def test_unknown_title_is_404_with_the_catalog_message(stack: Stack) -> None:
    response = stack.viewer().get("/api/titles/999")
    assert response.status_code == 404
    assert response.json()["error"]["message"]


def test_artwork_is_public_cacheable_svg(stack: Stack, titles: dict[str, int]) -> None:
    anonymous = stack.visitor()
    response = anonymous.get(f"/artwork/{titles['Bunny Brigade']}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "public" in response.headers["cache-control"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.text.lstrip().startswith("<svg") or "<svg" in response.text[:200]

    etag = response.headers["etag"]
    again = anonymous.get(
        f"/artwork/{titles['Bunny Brigade']}.svg", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert anonymous.get("/artwork/999.svg").status_code == 404
