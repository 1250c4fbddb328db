"""The standard HTTP metrics count every answer under its route template, errors apart."""

from __future__ import annotations

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
