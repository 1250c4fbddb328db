"""Catalog management is for administrators only."""

from __future__ import annotations

from tests.support.gateway import SAMPLE_TITLES, Stack

NEW_TITLE = {"name": "Harbor Lights", "year": 2024, "genres": ["Drama"], "maturity": "teen"}


def test_viewers_get_403_on_every_admin_route(stack: Stack, titles: dict[str, int]) -> None:
    viewer = stack.viewer()
    some_id = titles["Bunny Brigade"]
    for method, url, body in (
        ("POST", "/api/admin/titles", NEW_TITLE),
        ("PATCH", f"/api/admin/titles/{some_id}", {"name": "Hacked"}),
        ("DELETE", f"/api/admin/titles/{some_id}", None),
    ):
        response = viewer.request(method, url, json=body)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "admin_required"
    assert viewer.get(f"/api/titles/{some_id}").json()["name"] == "Bunny Brigade"


def test_anonymous_gets_401_on_admin_routes(stack: Stack) -> None:
    response = stack.visitor().post("/api/admin/titles", json=NEW_TITLE)
    assert response.status_code == 401


def test_admin_creates_updates_and_deletes(stack: Stack) -> None:
    admin = stack.admin()
    created = admin.post("/api/admin/titles", json=NEW_TITLE)
    assert created.status_code == 201
    title_id = created.json()["id"]
    assert created.json()["availability"] == "processing"

    updated = admin.request("PATCH", f"/api/admin/titles/{title_id}", json={"year": 2025})
    assert updated.status_code == 200 and updated.json()["year"] == 2025
    assert admin.get(f"/api/titles/{title_id}").json()["year"] == 2025

    assert admin.request("DELETE", f"/api/admin/titles/{title_id}").status_code == 204
    assert admin.get(f"/api/titles/{title_id}").status_code == 404


def test_admin_input_is_validated(stack: Stack) -> None:
    admin = stack.admin()
    good = dict(SAMPLE_TITLES[0])
    changes: list[dict[str, object]] = [
        {"year": 1500},
        {"genres": []},
        {"name": "x" * 201},
        {"kind": "podcast"},
    ]
    for change in changes:
        response = admin.post("/api/admin/titles", json={**good, **change})
        assert response.status_code == 422, change
