"""The server-rendered web app: who sees which page, and the forms behind them."""

from __future__ import annotations

import re

import httpx

from tests.support.gateway import PASSWORD, Stack, Visitor, new_email


def _form(visitor: Visitor, **fields: str) -> dict[str, str]:
    return {**fields, "csrf_token": visitor.csrf_token()}


def _html(response: httpx.Response) -> str:
    assert "text/html" in response.headers["content-type"]
    return response.text


def test_logged_out_pages_redirect_to_login(stack: Stack) -> None:
    visitor = stack.visitor()
    assert visitor.get("/").headers["location"] == "/login"
    for url in ("/profiles", "/account", "/title/1", "/search?q=x", "/admin/titles"):
        response = visitor.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=/")


def test_no_profile_redirects_to_the_picker(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    for url in ("/", "/search?q=a", "/title/1"):
        response = visitor.get(url)
        assert response.status_code == 303 and response.headers["location"] == "/profiles"


def test_login_and_signup_pages_render(stack: Stack) -> None:
    login = _html(stack.visitor().get("/login"))
    for selector in ('id="login-form"', 'id="email"', 'id="password"', 'name="csrf_token"'):
        assert selector in login
    signup = _html(stack.visitor().get("/signup"))
    assert 'id="signup-form"' in signup and 'id="plan"' in signup and "Premium" in signup


def test_sign_up_form_then_pick_a_profile_then_home(stack: Stack, titles: dict[str, int]) -> None:
    visitor = stack.visitor()
    email = new_email()
    response = visitor.post("/signup", data=_form(visitor, email=email, password=PASSWORD))
    assert response.status_code == 303 and response.headers["location"] == "/profiles"

    picker = _html(visitor.get("/profiles"))
    assert "Who's watching?" in picker
    profile_id = re.search(r'data-profile-id="(\d+)"', picker)
    assert profile_id is not None
    chosen = visitor.post(f"/profiles/{profile_id[1]}/select", data=_form(visitor))
    assert chosen.status_code == 303 and chosen.headers["location"] == "/"

    home = _html(visitor.get("/"))
    assert 'data-row="new"' in home and 'data-row="horror"' in home
    assert home.count('loading="lazy"') >= 3
    assert 'width="320" height="180"' in home  # 16:9 tiles, frames of the video
    assert f'data-title-id="{titles["Midnight Harvest"]}"' in home
    assert 'id="search-input"' in home
    assert 'id="nav-admin"' not in home  # not an admin


def test_login_form_errors_are_shown_inline(stack: Stack) -> None:
    visitor = stack.visitor()
    email = new_email()
    stack.visitor().sign_up(email)
    wrong = visitor.post("/login", data=_form(visitor, email=email, password="nope nope"))
    assert wrong.status_code == 401
    assert 'id="form-error"' in _html(wrong) and "Wrong email or password" in wrong.text
    malformed = visitor.post("/login", data=_form(visitor, email="bad", password="x"))
    assert malformed.status_code == 422 and "valid email" in malformed.text


def test_login_returns_to_the_page_asked_for_but_never_off_site(stack: Stack) -> None:
    email = new_email()
    stack.visitor().sign_up(email)
    visitor = stack.visitor()
    page = visitor.get("/login?next=/account")
    assert 'name="next" value="/account"' in page.text
    ok = visitor.post(
        "/login", data=_form(visitor, email=email, password=PASSWORD, next="/account")
    )
    assert ok.headers["location"] == "/account"

    other = stack.visitor()
    evil = other.post(
        "/login", data=_form(other, email=email, password=PASSWORD, next="//evil.example")
    )
    assert evil.headers["location"] == "/profiles"


def test_sign_up_form_errors(stack: Stack) -> None:
    visitor = stack.visitor()
    email = new_email()
    stack.visitor().sign_up(email)
    taken = visitor.post("/signup", data=_form(visitor, email=email, password=PASSWORD))
    assert taken.status_code == 409 and "already exists" in taken.text
    short = visitor.post("/signup", data=_form(visitor, email=new_email(), password="short"))
    assert short.status_code == 422 and "8 to 128 characters" in short.text


def test_add_profile_form_and_pin_prompt(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    added = visitor.post(
        "/profiles",
        data=_form(visitor, name="Locked", avatar_color="#3498db", maturity="teen", pin="1234"),
    )
    assert added.status_code == 303
    picker = visitor.get("/profiles").text
    locked_id = visitor.get("/api/profiles").json()[-1]["id"]
    assert f'href="/profiles/{locked_id}/pin"' in picker

    prompt = _html(visitor.get(f"/profiles/{locked_id}/pin"))
    assert 'id="pin-form"' in prompt and 'id="pin"' in prompt
    wrong = visitor.post(f"/profiles/{locked_id}/select", data=_form(visitor, pin="9999"))
    assert wrong.status_code == 403 and "Wrong PIN" in wrong.text
    right = visitor.post(f"/profiles/{locked_id}/select", data=_form(visitor, pin="1234"))
    assert right.status_code == 303

    bad = visitor.post("/profiles", data=_form(visitor, name="", maturity="adult"))
    assert bad.status_code == 422 and 'id="form-error"' in bad.text


def test_search_page(stack: Stack, titles: dict[str, int]) -> None:
    visitor = stack.viewer()
    found = _html(visitor.get("/search?q=moon"))
    assert f'data-title-id="{titles["Moonbase Academy"]}"' in found
    assert 'value="moon"' in found
    none = visitor.get("/search?q=zzzz").text
    assert 'id="search-empty"' in none


def _unpublish(stack: Stack, title_id: int) -> None:
    body = {"availability": "processing", "asset_version": None}
    assert stack.catalog.put(f"/v1/titles/{title_id}/availability", json=body).status_code == 200


def test_title_page_shows_details_and_a_disabled_play_button(
    stack: Stack, titles: dict[str, int]
) -> None:
    # Only an admin sees a title before its first publish (viewers get a 404).
    _unpublish(stack, titles["Moonbase Academy"])
    page = _html(stack.admin().get(f"/title/{titles['Moonbase Academy']}"))
    assert 'id="title-name">Moonbase Academy<' in page
    assert 'id="maturity-badge"' in page and "13+" in page
    assert 'data-availability="processing"' in page
    assert re.search(r'<button[^>]*id="play-button"[^>]*disabled', page)
    assert 'data-season="1"' in page and "Low Gravity" in page
    assert "Cadets, craters and curfew." in page


def test_kids_cannot_open_an_adult_title_page(stack: Stack, titles: dict[str, int]) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    visitor.watch_as(visitor.add_profile("Mia", "kids"))
    page = visitor.get(f"/title/{titles['Midnight Harvest']}")
    assert page.status_code == 404 and 'id="error"' in _html(page)
    assert "Midnight Harvest" not in visitor.get("/").text
    assert "Midnight Harvest" not in visitor.get("/search?q=mid").text


def test_account_page_and_plan_change(stack: Stack) -> None:
    visitor = stack.viewer()
    page = _html(visitor.get("/account"))
    assert 'data-plan="standard"' in page and 'id="plan-form"' in page
    changed = visitor.post("/account/plan", data=_form(visitor, plan="premium"))
    assert changed.status_code == 303
    after = visitor.get(changed.headers["location"]).text
    assert 'id="current-plan" data-plan="premium"' in after and 'id="plan-changed"' in after


def test_logout_form(stack: Stack) -> None:
    visitor = stack.viewer()
    response = visitor.post("/logout", data=_form(visitor))
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert visitor.get("/").status_code == 303


def test_admin_pages_are_for_admins_only(stack: Stack, titles: dict[str, int]) -> None:
    viewer = stack.viewer()
    for url in (
        "/admin/titles",
        "/admin/titles/new",
        f"/admin/titles/{titles['Bunny Brigade']}/edit",
    ):
        response = viewer.get(url)
        assert response.status_code == 403, url
        assert "administrators" in _html(response)
    refused = viewer.post(f"/admin/titles/{titles['Bunny Brigade']}/delete", data=_form(viewer))
    assert refused.status_code == 403


def test_admin_lists_creates_edits_and_deletes_titles(stack: Stack, titles: dict[str, int]) -> None:
    admin = stack.admin()
    listing = _html(admin.get("/admin/titles"))
    assert 'id="admin-titles"' in listing and 'id="new-title"' in listing
    assert all(f'data-title-id="{i}"' in listing for i in titles.values())
    assert 'id="nav-admin"' in admin.get("/").text

    assert 'id="title-form"' in _html(admin.get("/admin/titles/new"))
    fields = {
        "name": "Deep Blue Yonder",
        "kind": "series",
        "year": "2022",
        "maturity": "teen",
        "genres": "Documentary, Adventure",
        "synopsis": "Oceans, filmed.",
        "cast": "Ann Lee, Bo Park",
        "duration_min": "0",
        "episodes": "1.1 | Shallows | 48\n1.2 | Trench\n2.1 | Return | 50",
    }
    created = admin.post("/admin/titles", data=_form(admin, **fields))
    assert created.status_code == 303
    new_id = int(created.headers["location"].split("saved=")[1])
    title = admin.get(f"/api/titles/{new_id}").json()
    assert title["genres"] == ["Documentary", "Adventure"]
    assert [len(s["episodes"]) for s in title["seasons"]] == [2, 1]
    assert title["seasons"][0]["episodes"][0]["duration_s"] == 48 * 60

    edit = _html(admin.get(f"/admin/titles/{new_id}/edit"))
    assert "1.1 | Shallows | 48" in edit
    saved = admin.post(f"/admin/titles/{new_id}", data=_form(admin, **{**fields, "year": "2020"}))
    assert saved.status_code == 303
    assert admin.get(f"/api/titles/{new_id}").json()["year"] == 2020

    invalid = admin.post("/admin/titles", data=_form(admin, **{**fields, "year": "soon"}))
    assert invalid.status_code == 422 and "1870 to 2100" in invalid.text
    assert 'value="Deep Blue Yonder"' in invalid.text  # the form comes back as typed
    bad_lines = admin.post("/admin/titles", data=_form(admin, **{**fields, "episodes": "oops"}))
    assert bad_lines.status_code == 422 and "Episode line 1" in bad_lines.text

    deleted = admin.post(f"/admin/titles/{new_id}/delete", data=_form(admin))
    assert deleted.status_code == 303
    assert admin.get(f"/api/titles/{new_id}").status_code == 404


def test_unknown_page_is_a_404_page(stack: Stack) -> None:
    response = stack.visitor().get("/no/such/page")
    assert response.status_code == 404 and 'id="error"' in _html(response)
    api = stack.visitor().get("/api/no/such/thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_pages_carry_security_headers_and_static_assets_load(stack: Stack) -> None:
    visitor = stack.visitor()
    page = visitor.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for asset in ("/static/app.css", "/static/app.js"):
        assert visitor.get(asset).status_code == 200
    assert "https://" not in visitor.get("/static/app.css").text  # no CDN at run time


def test_api_docs_are_served(stack: Stack) -> None:
    visitor = stack.visitor()
    assert visitor.get("/api/docs").status_code == 200
    schema = visitor.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/auth/signup", "/api/titles", "/api/admin/titles/{title_id}", "/api/me/plan"):
        assert path in paths
    assert "/login" not in paths  # pages are not part of the API
    titles_ok = paths["/api/titles"]["get"]["responses"]["200"]
    assert "TitleSummary" in str(titles_ok) or "Page" in str(titles_ok)
