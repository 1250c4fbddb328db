"""The telemetry service: its consumers fill the QoE series from the log, served as JSON and
exported to Prometheus (counters and a startup histogram)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.events.stack import event
from tests.support.gateway import make_settings
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.contracts.events import EVENT
from vodstack.events.log import EventLog
from vodstack.services.telemetry.app import create_app
from vodstack.services.telemetry.prometheus import COUNTERS


def _eventually(check: Callable[[], Any]) -> Any:
    return eventually(check, timeout_s=30, message="the consumers did not catch up")


def test_series_and_prometheus_export(tmp_path: Path, event_log: EventLog) -> None:
    now = datetime.now(UTC).isoformat()
    items = [
        event("play_start", startup_ms=300, region="eu", abr="bola"),
        event("play_start", startup_ms=3000, region="eu", abr="bola"),
        event("error", region="us", abr="bba"),
    ]
    for item in items:
        parsed = EVENT.validate_python({**item, "profile_id": 5, "at": now})
        event_log.append("5", parsed.model_dump_json().encode())
    app = create_app(make_settings(tmp_path), event_log=event_log)
    with authorized(TestClient(app), make_settings(tmp_path), "telemetry") as client:
        lags = lambda: all(c["lag"] == 0 for c in client.get("/v1/telemetry/consumers").json())  # noqa: E731
        _eventually(lags)
        series = client.get("/v1/telemetry/series", params={"split": "region"}).json()
        eu = next(p for p in series if p["split"] == "eu")
        assert (eu["startup_p50_ms"], eu["startup_p90_ms"]) == (500.0, 4000.0)
        assert sum(p["errors"] for p in series) == 1
        assert client.get("/v1/popularity").json()[0]["plays"] == 2
        metrics = client.get("/metrics").text
    assert 'vodstack_qoe_starts_total{abr="bola",edge="unknown",region="eu"} 2.0' in metrics
    assert 'vodstack_qoe_errors_total{abr="bba",edge="unknown",region="us"} 1.0' in metrics
    bucket = 'vodstack_qoe_startup_ms_bucket{abr="bola",edge="unknown",le="500.0",region="eu"} 1.0'
    assert bucket in metrics, [line for line in metrics.splitlines() if "startup_ms_bucket" in line]


def test_a_kept_popularity_answer_follows_new_plays(tmp_path: Path, event_log: EventLog) -> None:
    """The answer is kept between requests (sent from the event loop) only until the counts
    change: a play counted after it was read shows at the next request."""

    def play() -> None:
        item = event("play_start", startup_ms=300, region="eu", abr="bola")
        parsed = EVENT.validate_python({**item, "profile_id": 5, "at": datetime.now(UTC)})
        event_log.append("5", parsed.model_dump_json().encode())

    def plays(client: TestClient) -> int:
        return sum(p["plays"] for p in client.get("/v1/popularity").json())

    play()
    app = create_app(make_settings(tmp_path), event_log=event_log)
    with authorized(TestClient(app), make_settings(tmp_path), "telemetry") as client:
        _eventually(lambda: plays(client) == 1)
        assert plays(client) == 1  # the kept answer
        assert app.state.telemetry.plays_answers.get(0) is not None
        play()
        _eventually(lambda: plays(client) == 2)
        assert client.get("/v1/popularity", params={"since_hour": 10**9}).json() == []


def test_the_grafana_dashboard_asks_only_for_exported_metrics() -> None:
    dashboard = Path(__file__).parents[2] / "ops" / "grafana" / "qoe.json"
    exprs = [t["expr"] for p in json.loads(dashboard.read_text())["panels"] for t in p["targets"]]
    wanted = {name for expr in exprs for name in re.findall(r"vodstack_qoe_\w+", expr)}
    exported = {f"vodstack_qoe_{name}_total" for name in COUNTERS}
    exported |= {"vodstack_qoe_startup_ms_bucket"}
    assert wanted and wanted <= exported, wanted - exported
