"""Ghost titles: a title never published is absent for viewers on every read path, and shown
to admins with its state (processing, or failed with a notice)."""

from __future__ import annotations

from tests.support.gateway import Stack, Visitor, publish

BODY = {"name": "Phantom Reel", "year": 2024, "maturity": "teen", "genres": ["Ghost Stories"]}


def _create(stack: Stack) -> int:
    response = stack.admin().post("/api/admin/titles", json=BODY)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _seen_by(visitor: Visitor, title_id: int) -> dict[str, object]:
    get = visitor.get
    return {
        "listed": title_id in [t["id"] for t in get("/api/titles").json()["items"]],
        "searched": title_id in [t["id"] for t in get("/api/search?q=phantom").json()["items"]],
        "genre": "ghost-stories" in [g["slug"] for g in get("/api/genres").json()],
        "api": get(f"/api/titles/{title_id}").status_code,
        "home": "Phantom Reel" in get("/").text,
        "search_page": "Phantom Reel" in get("/search?q=phantom").text,
        "page": get(f"/title/{title_id}").status_code,
    }


HIDDEN = {
    "listed": False,
    "searched": False,
    "genre": False,
    "api": 404,
    "home": False,
    "search_page": False,
    "page": 404,
}
SHOWN = {
    "listed": True,
    "searched": True,
    "genre": True,
    "api": 200,
    "home": True,
    "search_page": True,
    "page": 200,
}


def test_viewers_never_see_a_title_before_its_first_publish(stack: Stack) -> None:
    title_id = _create(stack)
    viewer, admin = stack.viewer(), stack.admin()
    assert _seen_by(viewer, title_id) == HIDDEN
    assert _seen_by(admin, title_id) == SHOWN
    assert 'data-availability="processing"' in admin.get(f"/title/{title_id}").text
    publish(stack, title_id)
    assert _seen_by(viewer, title_id) == SHOWN


def test_a_failed_title_is_flagged_on_the_admin_pages_only(stack: Stack) -> None:
    title_id = _create(stack)
    flagged = stack.catalog.put(
        f"/v1/titles/{title_id}/availability", json={"availability": "failed"}
    )
    assert flagged.json()["availability"] == "failed"
    assert _seen_by(stack.viewer(), title_id) == HIDDEN
    admin = stack.admin()
    listing = admin.get("/admin/titles").text
    assert 'data-availability="failed">Failed <span class="muted">(hidden from viewers)' in listing
    edit = admin.get(f"/admin/titles/{title_id}/edit").text
    assert 'id="title-failed"' in edit and "The last upload or encoding failed" in edit
