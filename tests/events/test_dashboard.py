"""The operators' QoE dashboard: admin only; its API serves the series the players' events made."""

from __future__ import annotations

from pathlib import Path

from tests.events.stack import event, events_stack
from tests.support.gateway import make_settings
from tests.support.waiting import eventually
from vodstack.events.log import EventLog


def test_the_dashboard_shows_the_players_figures_to_admins(
    tmp_path: Path, event_log: EventLog
) -> None:
    with events_stack(make_settings(tmp_path), event_log) as stack:
        viewer, admin = stack.viewer(), stack.admin()
        batch = [event("play_start", startup_ms=700, abr="bola"), event("error", abr="bola")]
        assert viewer.post("/api/events", json={"events": batch}).json()["accepted"] == 2
        assert viewer.get("/api/admin/telemetry/series").status_code == 403
        assert viewer.get("/admin/telemetry").status_code in (302, 303, 403)

        points = eventually(
            lambda: admin.get("/api/admin/telemetry/series?split=abr").json(),
            timeout_s=30,
            message="the telemetry consumer did not catch up",
        )
        (point,) = points
        assert (point["split"], point["errors"], point["startup_p50_ms"]) == ("bola", 1, 1000.0)
        page = admin.get("/admin/telemetry")
        assert page.status_code == 200
        assert 'id="qoe-charts"' in page.text and 'data-metric="startup_p90_ms"' in page.text
