"""The admin CDN page and its API: admin only; edges that do not answer are shown down, quickly."""

from __future__ import annotations

from pathlib import Path

from tests.support.gateway import make_settings, stack_for
from tests.support.ports import free_port


def test_admins_see_every_edge_and_dead_ones_are_marked_down(tmp_path: Path) -> None:
    # Edges on ports nothing listens on (not the defaults: a running platform may be there).
    ports = {f"edge-{r}-{n}": free_port() for r in ("eu", "us") for n in (1, 2)}
    settings = make_settings(tmp_path, ports={**make_settings(tmp_path).ports, **ports})
    with stack_for(settings) as stack:
        viewer, admin = stack.viewer(), stack.admin()
        assert viewer.get("/api/admin/cdn").status_code == 403
        assert viewer.get("/admin/cdn").status_code in (302, 303, 403)
        overview = admin.get("/api/admin/cdn")
        assert overview.status_code == 200, overview.text
        body = overview.json()
        assert [edge["name"] for edge in body["edges"]] == sorted(ports, key=list(ports).index)
        assert not any(edge["up"] for edge in body["edges"])
        assert [(r["region"], r["edges_up"], r["edges"]) for r in body["regions"]] == [
            ("eu", 0, 2),
            ("us", 0, 2),
        ]
        page = admin.get("/admin/cdn")
        assert page.status_code == 200
        assert page.text.count("down: no answer") == 4
        assert 'href="/admin/cdn"' in admin.get("/admin/titles").text
