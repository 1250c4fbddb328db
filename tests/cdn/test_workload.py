"""`vodstack cache generate`: seeded, well-formed traces with the effects the model promises."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vodstack.cdn.cache.replay import parse_capacity, replay
from vodstack.cdn.cache.trace import parse_lines, read_trace
from vodstack.cdn.workload import (
    DAY_S,
    ISSUE_SHAPE,
    RETURNS_SHAPE,
    STABLE_SHAPE,
    WorkloadSpec,
    generate,
)
from vodstack.cli.main import app
from vodstack.config.settings import EvictionKind
from vodstack.control.objects import describe
from vodstack.control.returns import ReturningViewers

SPEC = WorkloadSpec(days=2, titles=60, regions=("eu", "us"), sessions_per_day=80, seed=7)


def _rows(spec: WorkloadSpec) -> list[list[str]]:
    return [line.rstrip("\n").split(",") for line in generate(spec)]


def test_the_same_seed_gives_the_same_trace_and_another_seed_another() -> None:
    lines = list(generate(SPEC))
    assert lines == list(generate(SPEC))
    assert lines != list(generate(WorkloadSpec(**{**SPEC.__dict__, "seed": 8})))


def test_the_trace_is_sorted_and_readable_with_one_size_per_object(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["cache", "generate", "--out", str(tmp_path / "w.csv.gz"), "--days", "2",
              "--titles", "40", "--sessions-per-day", "60", "--regions", "eu,us,apac"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    trace = read_trace(tmp_path / "w.csv.gz")  # raises on a size conflict or a bad line
    assert set(trace.regions) == {"eu", "us", "apac"}
    for requests in trace.regions.values():
        assert list(requests.times) == sorted(requests.times)


def test_segments_follow_the_ladder_and_early_segments_are_hotter() -> None:
    rows = _rows(SPEC)
    renditions = Counter(row[1].split("/")[1] for row in rows)
    assert set(renditions) <= {"240p", "360p", "480p", "720p", "1080p"}
    assert renditions["1080p"] > renditions["240p"]
    positions = Counter(int(row[1].split("/")[2]) for row in rows)
    assert positions[0] > 1.5 * positions[300]  # abandonment


def test_new_releases_first_appear_after_the_first_day() -> None:
    rows = _rows(WorkloadSpec(days=3, titles=40, sessions_per_day=60, releases_per_day=4))
    first_day: dict[str, int] = {}
    for row in rows:
        first_day.setdefault(row[1].split("/")[0], int(float(row[0]) // DAY_S))
    assert any(day > 0 for day in first_day.values())


def test_evenings_are_busier_than_nights() -> None:
    rows = _rows(WorkloadSpec(days=1, titles=50, regions=("eu",), sessions_per_day=200))
    hours = Counter(int((float(row[0]) % DAY_S) // 3600 + 1) % 24 for row in rows)  # eu: UTC+1
    assert hours[21] > 3 * hours[5]


def _reactive_at_5_percent(spec: WorkloadSpec, name: str) -> tuple[float, float]:
    """LRU's and S3-FIFO's byte hit ratios on `spec`'s trace at 5 % of its unique bytes."""
    trace = parse_lines(generate(spec), name)
    capacity = parse_capacity("5%", trace.unique_bytes)
    lru = replay(trace, EvictionKind.LRU, capacity).total.byte_hit_ratio
    s3fifo = replay(trace, EvictionKind.S3FIFO, capacity).total.byte_hit_ratio
    return lru, s3fifo


@pytest.mark.slow
def test_the_issue_shaped_trace_has_the_issues_reactive_figures() -> None:
    """Issue 19 measured LRU about 0.12 and S3-FIFO about 0.21 at 5 % on its VOD traces; the
    tuning target (`ISSUE_SHAPE`) must be that hard for caches, not an easier trace."""
    lru, s3fifo = _reactive_at_5_percent(ISSUE_SHAPE, "issue shape")
    assert 0.10 <= lru <= 0.14, lru
    assert 0.16 <= s3fifo <= 0.24, s3fifo
    assert s3fifo > lru * 1.3


@pytest.mark.slow
def test_the_stable_shape_has_the_issues_reactive_figures() -> None:
    """`STABLE_SHAPE` (more viewings per title, stable popularity) is measured beside
    `ISSUE_SHAPE`; it must stay near the issue's LRU 0.12 / S3-FIFO 0.21 at 5 % too."""
    lru, s3fifo = _reactive_at_5_percent(STABLE_SHAPE, "stable shape")
    assert 0.11 <= lru <= 0.16, lru
    assert 0.18 <= s3fifo <= 0.24, s3fifo
    assert s3fifo > lru * 1.3


def _resume_rate(spec: WorkloadSpec) -> float:
    """The share of a day's mid-title stops resumed at the same object the next day."""
    returns: ReturningViewers[str] = ReturningViewers(describe, keep_shape=1.0)
    days: dict[int, Counter[str]] = {}
    for row in _rows(spec):
        days.setdefault(int(float(row[0]) // DAY_S), Counter())[row[1]] += 1
    for day in sorted(days):
        returns.record_day({"": days[day]})
    return returns.rates()[0]


def test_returning_viewers_resume_where_they_stopped() -> None:
    spec = WorkloadSpec(days=3, titles=30, regions=("",), sessions_per_day=150, seed=3)
    assert _resume_rate(spec) < 0.05  # fresh mid-title starts rarely land on a stop
    # 0.8 return, 60 % of them the next day: about 0.48 of the stops resume there, less as
    # seen in counts (with 5 viewings a day per title, one's stop hides in another's run).
    assert 0.15 < _resume_rate(WorkloadSpec(**{**spec.__dict__, "returns": 0.8})) < 0.65
    assert list(generate(spec)) == list(generate(WorkloadSpec(**{**spec.__dict__, "returns": 0.0})))


def test_the_cli_takes_returning_viewers(tmp_path: Path) -> None:
    args = ["cache", "generate", "--days", "2", "--titles", "20", "--sessions-per-day", "40"]
    plain, returning = tmp_path / "a.csv", tmp_path / "b.csv"
    assert CliRunner().invoke(app, [*args, "--out", str(plain)]).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--out", str(returning), "--returns", "0.9"])
    assert result.exit_code == 0, result.output
    assert read_trace(returning).requests > read_trace(plain).requests  # day 2 has returns
    assert CliRunner().invoke(app, [*args, "--out", str(plain), "--returns", "2"]).exit_code == 2


@pytest.mark.slow
def test_the_returns_shape_has_the_issues_reactive_figures() -> None:
    """`RETURNS_SHAPE` (viewers resuming titles) is the closest to the issue's LRU 0.12 /
    S3-FIFO 0.21 at 5 %; resumes must not make it easier for caches."""
    lru, s3fifo = _reactive_at_5_percent(RETURNS_SHAPE, "returns shape")
    assert 0.10 <= lru <= 0.14, lru
    assert 0.18 <= s3fifo <= 0.24, s3fifo
    assert s3fifo > lru * 1.4
