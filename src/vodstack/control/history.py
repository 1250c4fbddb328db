"""Teach a planner from the past: a request log in trace format (the edges' logs) and,
when the events pipeline has them, the popularity counts (plays per title, region and hour).

Requests say which objects of a title are watched (rendition, how far viewers get); plays say
how many viewers each title had in each region, counted by the players wherever they were
served and kept longer than the edges' rotated logs. A title's plays become requests through
its requests per play, measured on the days both sources saw it (over all titles when it was
never logged); days and titles without plays keep their logged counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from vodstack.cdn.cache.trace import DAY_S, Trace, day_spans, title_of
from vodstack.control.planner import FillPlanner


@dataclass(frozen=True)
class TitlePlays:
    """Plays of one title in one region during one hour (hours since the epoch, UTC)."""

    title: str
    region: str
    hour: int
    plays: int


def learn_from_log(
    planner: FillPlanner[int],
    log: Trace,
    day_start_hour: int,
    plays: Iterable[TitlePlays] = (),
) -> int:
    """Record each day of `log` and `plays` (days start at `day_start_hour` UTC) in order;
    returns how many days."""
    offset = day_start_hour * 3600
    spans = {name: day_spans(requests, offset) for name, requests in log.regions.items()}
    played = _plays_by_day(plays, offset)
    days = sorted({day for region in spans.values() for day in region} | played.keys())
    if not days:
        return 0
    counts_by_day: dict[int, dict[str, Counter[int]]] = {}
    for day in range(days[0], days[-1] + 1):
        counts: dict[str, Counter[int]] = {}
        for name, requests in log.regions.items():
            start, end = spans[name].get(day, (0, 0))
            counts[name] = Counter(requests.objects[start:end])
        counts_by_day[day] = counts
    per_play = _requests_per_play(log, counts_by_day, played)
    for day in range(days[0], days[-1] + 1):
        demand = {
            region: {title: n * per_play(title) for title, n in titles.items()}
            for region, titles in played.get(day, {}).items()
        }
        planner.record_day(counts_by_day[day], demand or None)
    return days[-1] - days[0] + 1


def _plays_by_day(plays: Iterable[TitlePlays], offset_s: int) -> dict[int, dict[str, Counter[str]]]:
    result: dict[int, dict[str, Counter[str]]] = {}
    for row in plays:
        day = (row.hour * 3600 - offset_s) // DAY_S
        result.setdefault(day, {}).setdefault(row.region, Counter())[row.title] += row.plays
    return result


def _requests_per_play(
    log: Trace,
    counts_by_day: dict[int, dict[str, Counter[int]]],
    played: dict[int, dict[str, Counter[str]]],
) -> _PerPlay:
    """Requests per play per title, over the (day, region)s where both sources saw it."""
    requests: Counter[str] = Counter()
    plays: Counter[str] = Counter()
    titles = [title_of(name) for name in log.names]
    for day, regions in played.items():
        for region, by_title in regions.items():
            logged: Counter[str] = Counter()
            for key, count in counts_by_day.get(day, {}).get(region, Counter()).items():
                logged[titles[key]] += count
            for title, n in by_title.items():
                if logged[title]:
                    requests[title] += logged[title]
                    plays[title] += n
    return _PerPlay(requests, plays)


class _PerPlay:
    def __init__(self, requests: Counter[str], plays: Counter[str]) -> None:
        self._requests = requests
        self._plays = plays
        total = sum(plays.values())
        self._overall = sum(requests.values()) / total if total else 0.0

    def __call__(self, title: str) -> float:
        plays = self._plays[title]
        return self._requests[title] / plays if plays else self._overall
