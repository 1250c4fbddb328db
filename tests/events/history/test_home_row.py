"""The home page's "Continue watching" row: started titles with their progress; the page still
renders when the history service is down."""

from __future__ import annotations

from pathlib import Path

from tests.events.stack import event, events_stack
from tests.support.gateway import SAMPLE_TITLES, make_settings, publish
from tests.support.waiting import eventually
from vodstack.events.log import EventLog


def test_the_home_page_shows_started_titles_with_progress(
    tmp_path: Path, event_log: EventLog
) -> None:
    with events_stack(make_settings(tmp_path), event_log) as stack:
        admin = stack.admin()
        title = admin.post("/api/admin/titles", json=SAMPLE_TITLES[0]).json()["id"]
        publish(stack, title)
        viewer = stack.viewer()
        assert "continue-watching" not in viewer.get("/").text  # nothing started yet
        beat = event("heartbeat", title_id=title, position_s=300.0, duration_s=1000.0)
        assert viewer.post("/api/events", json={"events": [beat]}).json()["accepted"] == 1
        eventually(
            lambda: viewer.get("/api/history/continue").json(),
            timeout_s=30,
            message="history never caught up",
        )
        page = viewer.get("/").text
        assert 'id="continue-watching"' in page
        row = page.split('id="continue-watching"', 1)[1].split("</section>", 1)[0]
        assert f'data-title-id="{title}"' in row
        assert 'value="30"' in row and SAMPLE_TITLES[0]["name"] in row


def test_the_home_page_renders_without_the_history_service(
    tmp_path: Path, event_log: EventLog
) -> None:
    with events_stack(make_settings(tmp_path), event_log, history_down=True) as stack:
        viewer = stack.viewer()
        page = viewer.get("/")
        assert page.status_code == 200
        assert "continue-watching" not in page.text
