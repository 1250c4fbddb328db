"""The autoscaler's admin page: its decisions as the log holds them, for admins only."""

from __future__ import annotations

import time

from tests.support.gateway import Stack
from vodstack.contracts.autoscale import Decision, MetricVerdict, append_decision


def decision(service: str, action: str, current: int, desired: int, reason: str) -> Decision:
    return Decision(
        at=time.time(),
        service=service,
        action=action,
        current=current,
        recommended=desired,
        desired=desired,
        min=1,
        max=4,
        reason=reason,
        metrics=[
            MetricVerdict(metric="concurrency", observed=5.0, target=2.0, ratio=2.5, desired=3)
        ],
        instances={"catalog": {"concurrency": 5.0, "cpu": 0.4}},
        acted=action != "hold",
    )


def test_the_page_shows_the_latest_decision_per_service_and_the_changes(stack: Stack) -> None:
    run = stack.settings.data_dir / "run"
    append_decision(run, decision("catalog", "scale_up", 1, 3, "concurrency 5 per instance"))
    append_decision(run, decision("catalog", "hold", 3, 3, "held by the 120 s scale-down window"))
    append_decision(run, decision("playback", "hold", 1, 1, "no readings yet"))
    with (run / "autoscale" / "decisions.jsonl").open("a") as log:
        log.write('{"cut short by a cra\n')

    page = stack.admin().get("/admin/autoscaler")

    assert page.status_code == 200
    html = page.text
    latest = html[html.index('id="autoscaler-latest"') : html.index('id="autoscaler-changes"')]
    assert 'data-service="catalog"' in latest and 'data-service="playback"' in latest
    assert "held by the 120 s scale-down window" in latest
    assert "concurrency 5 / 2" in latest
    changes = html[html.index('id="autoscaler-changes"') :]
    assert "scale up" in changes and "concurrency 5 per instance" in changes
    assert "no readings yet" not in changes  # holds are not changes
    assert 'id="autoscaler-off"' in html  # this stack runs no autoscaler: the page says so


def test_the_page_is_for_admins_only(stack: Stack) -> None:
    assert stack.viewer().get("/admin/autoscaler").status_code == 403
    anonymous = stack.visitor().get("/admin/autoscaler", follow_redirects=False)
    assert anonymous.status_code == 303
