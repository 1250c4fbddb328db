"""Title-level admission: a miss is kept only when its title was missed in an earlier slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vodstack.cdn.cache import ByteBudget, LruPolicy, TitleAdmission, make_admission
from vodstack.cdn.cache.replay import replay, serve
from vodstack.cdn.cache.trace import parse_lines
from vodstack.cli.main import app
from vodstack.config.settings import EvictionKind

HOUR = 3600
# Hour slices (24 a day). t1: refused twice in hour 0, kept in hour 1, then a hit. t2: first
# seen in hour 1, next in hour 30 (more than a day later: refused twice), kept in hour 31.
LINES = [
    "0,t1/a/0,10", "100,t1/a/0,10", f"{HOUR + 100},t1/a/0,10", f"{HOUR + 200},t1/a/0,10",
    f"{HOUR + 300},t2/a/0,20", f"{30 * HOUR},t2/a/0,20", f"{30 * HOUR + 100},t2/a/0,20",
    f"{31 * HOUR},t2/a/1,20", f"{31 * HOUR + 100},t2/a/1,20", f"{31 * HOUR + 200},t1/a/0,10",
]  # fmt: skip


def test_a_title_is_admitted_from_its_second_slice_within_a_day() -> None:
    admission: TitleAdmission[str] = TitleAdmission(24)
    assert not admission.admits("t", 10)  # first miss
    assert not admission.admits("t", HOUR - 1)  # same slice
    assert admission.admits("t", HOUR)  # the next slice
    assert admission.admits("t", HOUR + 5)
    assert not admission.admits("u", HOUR + 5)  # titles are apart
    assert admission.admits("t", 25 * HOUR)  # 24 slices after hour 1: still within a day
    assert not admission.admits("t", 50 * HOUR)  # 25 slices after hour 25: too long ago
    assert admission.admits("t", 51 * HOUR)
    assert admission.admits("t", 50 * HOUR)  # a clock gone back counts as the latest slice
    assert admission.refused == 4


def test_no_slices_means_no_filter_and_a_planned_fill_is_always_kept() -> None:
    assert make_admission(0) is None
    with pytest.raises(ValueError, match="at least 1"):
        TitleAdmission(-1)
    budget: ByteBudget[str] = ByteBudget(100, LruPolicy(), admission=TitleAdmission(4))
    assert not budget.admit("t/a/0", 10, "t", 0.0)  # a viewer's first miss: served, not kept
    assert budget.admit("t/a/1", 10)  # no title: a planned fill
    assert list(budget.sizes) == ["t/a/1"] and budget.refused == 1


def test_the_replay_matches_the_hand_count() -> None:
    trace = parse_lines([f"{line}\n" for line in LINES], "hand")
    kept = replay(trace, EvictionKind.LRU, 1000, admission_slices=24).total
    # Hits: t1 at hour 1 (2nd), t2/a/1 at hour 31 (2nd), t1 at the end: 40 of 150 bytes.
    assert (kept.hits, kept.hit_bytes, kept.requested_bytes) == (3, 40, 150)
    assert kept.refused == 5 and kept.byte_hit_ratio == pytest.approx(40 / 150)
    every = replay(trace, EvictionKind.LRU, 1000).total
    # Without the filter every repeat hits: 100 of 150 bytes, 7 of 10 requests.
    assert (every.hits, every.hit_bytes, every.refused) == (7, 100, 0)


def test_the_replay_needs_every_requests_time_with_a_filter() -> None:
    budget: ByteBudget[int] = ByteBudget(100, LruPolicy(), admission=TitleAdmission(4))
    with pytest.raises(ValueError, match="time"):
        serve(budget, [0, 0], [10], times=[0.0], titles=[0])


def test_the_cli_takes_the_slices_and_reports_refusals(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("".join(f"{line}\n" for line in LINES))
    args = ["cache", "evaluate", "--trace", str(trace), "--capacity", "1000", "--policy", "lru"]
    results = {}
    for slices in ("24", "0"):
        answer = CliRunner().invoke(app, [*args, "--admission", slices, "--json"])
        assert answer.exit_code == 0, answer.output
        results[slices] = json.loads(answer.output)["results"][0]
    assert results["24"]["hit_bytes"] == 40 and results["24"]["refused"] == 5
    assert results["0"]["hit_bytes"] == 100 and results["0"]["refused"] == 0
    refused = CliRunner().invoke(app, [*args, "--admission", "-1"])
    assert refused.exit_code == 2
