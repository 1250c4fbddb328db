"""`vodstack cache evaluate` on small traces whose hit ratios are worked out by hand."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vodstack.cdn.cache.replay import parse_capacity
from vodstack.cdn.cache.trace import TraceError, read_trace
from vodstack.cli.main import app

runner = CliRunner()

# eu: a b a c a b, us: a a a (sizes a=10, b=20, c=30), interleaved.
LINES = [
    "0,a,10,eu", "0.5,a,10,us", "1,b,20,eu", "2,a,10,eu", "2.5,a,10,us", "3,c,30,eu",
    "4,a,10,eu", "4.5,a,10,us", "5,b,20,eu",
]  # fmt: skip


def _write(path: Path, lines: list[str], header: str | None = None) -> Path:
    text = "".join(f"{line}\n" for line in ([header] if header else []) + lines)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _evaluate(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["cache", "evaluate", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_lru_and_fifo_hit_ratios_per_region_match_the_hand_count(tmp_path: Path) -> None:
    trace = _write(tmp_path / "t.csv", LINES, header="timestamp_s,object_id,size_bytes,region")
    data = _evaluate("--trace", str(trace), "--capacity", "40", "--policy", "lru,fifo")
    lru, fifo = data["results"]
    # LRU, 40 B: eu hits a, a (20 of 100 B, 2 of 6); us hits a twice (20 of 30 B).
    assert lru["regions"]["eu"]["byte_hit_ratio"] == pytest.approx(0.2)
    assert lru["regions"]["eu"]["object_hit_ratio"] == pytest.approx(2 / 6)
    assert lru["regions"]["us"]["byte_hit_ratio"] == pytest.approx(20 / 30)
    assert lru["byte_hit_ratio"] == pytest.approx(40 / 130)
    assert lru["object_hit_ratio"] == pytest.approx(4 / 9)
    # FIFO: c evicts a and b, so eu's second a misses (10 of 100 B).
    assert fifo["regions"]["eu"]["byte_hit_ratio"] == pytest.approx(0.1)
    assert fifo["regions"]["eu"]["evictions"] == 3
    assert data["unique_bytes"] == 60 and data["requests"] == 9


def test_percent_capacities_and_gzip(tmp_path: Path) -> None:
    trace = _write(tmp_path / "t.csv.gz", LINES)
    data = _evaluate("--trace", str(trace), "--capacity", "50%,100%", "--policy", "sieve")
    half, whole = data["results"]
    assert half["capacity_bytes"] == 30 and whole["capacity_bytes"] == 60
    # Everything fits: only first requests miss (a, b, c in eu; a in us).
    assert whole["hits"] == 5 and whole["evictions"] == 0


def test_the_table_names_every_policy(tmp_path: Path) -> None:
    trace = _write(tmp_path / "t.csv", LINES)
    result = runner.invoke(app, ["cache", "evaluate", "--trace", str(trace), "--capacity", "5%"])
    assert result.exit_code == 0, result.output
    for name in ("lru", "fifo", "s3fifo", "sieve", "eu", "us"):
        assert name in result.output


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["0,a,10", "1,b"], "line 2"),
        (["0,a,10", "x,b,10"], "line 2"),
        (["0,a,10", "1,b,-5"], "line 2"),
        (["0,a,10", "1,b,10,eu,extra"], "line 2"),
        (["0,a,10", "1,b,20", "2,a,11"], "line 3: object 'a' has size 11 here but 10 on line 1"),
        (["0,a,10,eu", "1,b,20"], "line 2: every line or none must name a region"),
    ],
)
def test_a_bad_line_stops_the_run_with_its_number(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    trace = _write(tmp_path / "bad.csv", lines)
    with pytest.raises(TraceError, match=message):
        read_trace(trace)
    result = runner.invoke(app, ["cache", "evaluate", "--trace", str(trace)])
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_policy_and_bad_capacity_are_refused(tmp_path: Path) -> None:
    trace = _write(tmp_path / "t.csv", LINES)
    for args in (["--policy", "lru,mru"], ["--capacity", "lots"]):
        result = runner.invoke(app, ["cache", "evaluate", "--trace", str(trace), *args])
        assert result.exit_code == 2, result.output


def test_capacity_forms() -> None:
    assert parse_capacity("5%", 1000) == 50
    assert parse_capacity("2M", 1) == 2_000_000
    assert parse_capacity("1234", 1) == 1234
    with pytest.raises(ValueError):
        parse_capacity("0%", 1000)
