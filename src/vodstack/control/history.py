"""Teach a planner from a request log in trace format (the edges' logs, until the events
pipeline publishes popularity counts): every day of the log, in order, per region."""

from __future__ import annotations

from collections import Counter

from vodstack.cdn.cache.trace import Trace, day_spans
from vodstack.control.planner import FillPlanner


def learn_from_log(planner: FillPlanner[int], log: Trace, day_start_hour: int) -> int:
    """Record each day of `log` (days start at `day_start_hour` UTC); returns how many."""
    spans = {
        name: day_spans(requests, day_start_hour * 3600) for name, requests in log.regions.items()
    }
    days = sorted({day for region in spans.values() for day in region})
    if not days:
        return 0
    for day in range(days[0], days[-1] + 1):
        counts: dict[str, Counter[int]] = {}
        for name, requests in log.regions.items():
            start, end = spans[name].get(day, (0, 0))
            counts[name] = Counter(requests.objects[start:end])
        planner.record_day(counts)
    return days[-1] - days[0] + 1
