"""Latency chaos in a service: the rule file is read at run time, and only the share of
responses, the service and the route it names are hit; probes never are."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.clock import FakeMonotonic
from vodstack.core.chaos import CHECK_EVERY_S, ChaosMiddleware, LatencyRule, LatencyRules, RuleFile


class Draws:
    """The random draws the middleware makes, fixed in advance."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def __call__(self) -> float:
        return self.values.pop(0)


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def write(path: Path, *rules: LatencyRule) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LatencyRules(rules=list(rules)).model_dump_json())


def service(path: Path, clock: FakeMonotonic, draws: Draws, sleeps: Sleeps) -> TestClient:
    app = FastAPI()

    @app.get("/v1/titles")
    def titles() -> dict[str, str]:
        return {"ok": "titles"}

    @app.get("/v1/genres")
    def genres() -> dict[str, str]:
        return {"ok": "genres"}

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    rules = RuleFile(path, clock)
    app.add_middleware(ChaosMiddleware, service="catalog", rules=rules, draw=draws, sleep=sleeps)
    return TestClient(app)


def test_errors_hit_the_drawn_share_of_one_routes_responses(tmp_path: Path) -> None:
    path = tmp_path / "chaos" / "latency.json"
    write(path, LatencyRule(service="catalog", route="/v1/titles", fraction=0.5, error_status=503))
    client = service(path, FakeMonotonic(), Draws(0.49, 0.5), Sleeps())
    hit = client.get("/v1/titles")
    assert hit.status_code == 503
    assert hit.json()["error"]["code"] == "chaos"
    assert client.get("/v1/titles").status_code == 200  # draw 0.5 is outside the 50 %
    assert client.get("/v1/genres").status_code == 200  # another route: no draw at all


def test_a_delay_is_added_before_the_real_answer(tmp_path: Path) -> None:
    path = tmp_path / "latency.json"
    write(path, LatencyRule(service="catalog", fraction=1, delay_ms=200))
    sleeps = Sleeps()
    client = service(path, FakeMonotonic(), Draws(0.0), sleeps)
    assert client.get("/v1/genres").json() == {"ok": "genres"}
    assert sleeps.slept == [0.2]


def test_rules_of_other_services_and_probes_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "latency.json"
    write(
        path,
        LatencyRule(service="accounts", fraction=1, error_status=500),
        LatencyRule(service="catalog", route="/healthz", fraction=1, error_status=500),
    )
    client = service(path, FakeMonotonic(), Draws(), Sleeps())
    assert client.get("/v1/titles").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_rules_are_picked_up_and_dropped_at_run_time(tmp_path: Path) -> None:
    path = tmp_path / "latency.json"
    clock = FakeMonotonic()
    client = service(path, clock, Draws(0.0, 0.0), Sleeps())
    assert client.get("/v1/titles").status_code == 200  # no file: no chaos
    write(path, LatencyRule(service="catalog", fraction=1, error_status=503))
    clock.advance(CHECK_EVERY_S)
    assert client.get("/v1/titles").status_code == 503
    path.unlink()  # `vodstack chaos stop`
    clock.advance(CHECK_EVERY_S)
    assert client.get("/v1/titles").status_code == 200
