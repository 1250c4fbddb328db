"""The standard HTTP metrics count every answer under its route template, errors apart."""

from __future__ import annotations

import asyncio

from vodstack.core.metrics import ServiceMetrics


def test_answers_are_counted_per_route_and_status_and_5xx_as_errors() -> None:
    metrics = ServiceMetrics("catalog")
    for status in (200, 200, 503):
        metrics.record("GET", "/v1/titles", status, 0.002)
    text = metrics.render()[0].decode()
    labels = 'method="GET",route="/v1/titles"'
    assert f'vodstack_http_requests_total{{{labels},status="200"}} 2.0' in text
    assert f'vodstack_http_requests_total{{{labels},status="503"}} 1.0' in text
    assert f"vodstack_http_errors_total{{{labels}}} 1.0" in text
    assert f'vodstack_http_request_duration_seconds_bucket{{le="0.0025",{labels}}} 3.0' in text


# On and between the bucket bounds, and past the last one.
TIMES = [0.0001, 0.0005, 0.0005001, 0.001, 0.003, 0.003, 0.25, 0.7, 10.0, 12.0]


def _series(text: str) -> list[str]:
    lines = text.splitlines()
    return sorted(x for x in lines if x.startswith("vodstack_http_request") and "_created" not in x)


def test_requests_noted_on_a_loop_are_in_a_scrape_of_the_same_iteration() -> None:
    metrics = ServiceMetrics("catalog")

    async def requests() -> str:
        for elapsed in TIMES:
            metrics.record("GET", "/v1/titles", 200, elapsed)
        return metrics.render()[0].decode()  # before the iteration ends

    labels = 'method="GET",route="/v1/titles"'
    assert f'vodstack_http_requests_total{{{labels},status="200"}} 10.0' in asyncio.run(requests())


def test_a_batch_lands_in_the_buckets_one_observation_at_a_time_would() -> None:
    batched = ServiceMetrics("catalog")

    async def requests() -> None:
        for elapsed in TIMES:
            batched.record("GET", "/v1/titles", 200, elapsed)
        await asyncio.sleep(0)  # the iteration ends: the notes are added up

    asyncio.run(requests())
    one_by_one = ServiceMetrics("catalog")
    for elapsed in TIMES:
        one_by_one.latency.labels("GET", "/v1/titles").observe(elapsed)
        one_by_one.requests.labels("GET", "/v1/titles", "200").inc()
    assert _series(batched.render()[0].decode()) == _series(one_by_one.render()[0].decode())
