"""My List, episodes and artwork through the gateway (real accounts and catalog in-process)."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.support.gateway import Stack, publish


def _png(size: tuple[int, int] = (640, 360)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _listed(html: str) -> str:
    return html.split('id="row-my-list"', 1)[1].split("</section>", 1)[0]


def test_my_list_add_show_remove(stack: Stack, titles: dict[str, int]) -> None:
    viewer = stack.viewer()
    movie = titles["Midnight Harvest"]
    assert 'id="row-my-list"' not in viewer.get("/").text

    assert viewer.request("PUT", f"/api/my-list/{movie}").status_code == 204
    assert [t["id"] for t in viewer.get("/api/my-list").json()] == [movie]
    home = viewer.get("/").text
    assert f'data-title-id="{movie}"' in _listed(home)
    title_page = viewer.get(f"/title/{movie}").text
    assert re.search(
        rf'data-list-toggle[^>]*data-title-id="{movie}"[^>]*aria-pressed="true"', title_page
    )

    assert viewer.request("DELETE", f"/api/my-list/{movie}").status_code == 204
    assert viewer.get("/api/my-list").json() == []


def test_my_list_is_per_profile_and_respects_maturity(stack: Stack, titles: dict[str, int]) -> None:
    viewer = stack.viewer()
    kid = viewer.add_profile("Kid", "kids")
    viewer.request("PUT", f"/api/my-list/{titles['Midnight Harvest']}")
    viewer.watch_as(kid)

    assert viewer.get("/api/my-list").json() == []
    refused = viewer.request("PUT", f"/api/my-list/{titles['Midnight Harvest']}")
    assert refused.status_code == 404  # an adult title does not exist for a kids profile
    no_csrf = viewer.request("PUT", f"/api/my-list/{titles['Bunny Brigade']}", csrf=False)
    assert no_csrf.status_code == 403


def test_artwork_upload_replaces_the_generated_background(
    stack: Stack, titles: dict[str, int]
) -> None:
    admin, viewer = stack.admin(), stack.viewer()
    title_id = titles["Bunny Brigade"]
    before = stack.visitor().get(f"/artwork/{title_id}/image")
    assert before.headers["content-type"].startswith("image/svg+xml")
    assert "Bunny" not in before.text.split(">", 1)[1]  # bare: the page sets the name in type

    path = f"/api/admin/titles/{title_id}/artwork"
    assert viewer.request("PUT", path, content=_png()).status_code == 403
    junk = admin.request("PUT", path, content=b"GIF89a but not really")
    assert junk.status_code == 422 and junk.json()["error"]["code"] == "invalid_artwork"
    assert admin.request("PUT", path, content=_png()).status_code == 200

    after = stack.visitor().get(f"/artwork/{title_id}/image")
    assert after.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(after.content)).size == (640, 360)
    again = stack.visitor().get(
        f"/artwork/{title_id}/image", headers={"If-None-Match": after.headers["etag"]}
    )
    assert again.status_code == 304


def test_admin_artwork_form_shows_why_a_file_is_refused(
    stack: Stack, titles: dict[str, int]
) -> None:
    admin = stack.admin()
    title_id = titles["Midnight Harvest"]
    files = {"image": ("notes.txt", b"just some text", "text/plain")}
    form = {"csrf_token": admin.csrf_token()}

    refused = admin.post(f"/admin/titles/{title_id}/artwork", data=form, files=files)

    assert refused.status_code == 422
    assert 'id="artwork-error"' in refused.text and "JPEG, PNG or WebP" in refused.text
    files = {"image": ("art.png", _png(), "image/png")}
    saved = admin.post(f"/admin/titles/{title_id}/artwork", data=form, files=files)
    assert saved.status_code == 303


def test_a_series_plays_its_episodes_one_by_one(stack: Stack, titles: dict[str, int]) -> None:
    series_id = titles["Moonbase Academy"]
    series = stack.catalog.get(f"/v1/titles/{series_id}", params={"maturity": "adult"}).json()
    first, second = (ep["id"] for ep in series["seasons"][0]["episodes"])
    publish(stack, first, "e1")
    publish(stack, second, "e2")
    viewer = stack.viewer()

    page = viewer.get(f"/title/{series_id}").text
    assert re.search(rf'id="play-button"[^>]*data-play-id="{first}"', page)
    assert f'href="/watch/{second}"' in page  # every published episode plays on its own
    assert viewer.get(f"/play/{series_id}").headers["location"] == f"/watch/{first}"
    assert viewer.get(f"/title/{first}").headers["location"] == f"/title/{series_id}"

    watch = viewer.get(f"/watch/{first}").text
    assert f'data-next-id="{second}"' in watch and 'id="next-up"' in watch
    assert "S1:E1" in watch and "Moonbase Academy" in watch
    last = viewer.get(f"/watch/{second}").text
    assert "data-next-id" not in last and 'id="next-up"' not in last


def test_the_upload_page_offers_an_episode(stack: Stack, titles: dict[str, int]) -> None:
    series_id = titles["Moonbase Academy"]
    series = stack.catalog.get(f"/v1/titles/{series_id}", params={"maturity": "adult"}).json()
    second = series["seasons"][0]["episodes"][1]["id"]

    page = stack.admin().get(f"/admin/upload?title_id={second}").text

    assert re.search(
        rf'<option value="{second}" selected>Moonbase Academy · S1:E2 Low Gravity', page
    )
