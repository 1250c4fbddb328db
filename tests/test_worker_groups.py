"""The suite's split over pytest-xdist workers (tests/support/worker_groups.py), run for real: a
small suite in a temporary directory on two workers, with the suite's own collection hook. A
module fixture, and a session fixture two modules share, must each be built once; with plain
`--dist load` both would be built on both workers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CONFTEST = """
import os
import pytest

from tests.conftest import (  # the hooks under test
    pytest_collection_modifyitems, pytest_configure, pytest_unconfigure,
    pytest_xdist_make_scheduler,
)


def built(what, worker_id):
    with open(os.environ["BUILT_LOG"], "a") as log:
        log.write(f"{what} {worker_id}\\n")


@pytest.fixture(scope="session")
def platform(worker_id):
    built("platform", worker_id)
"""

USES_PLATFORM = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_uses_the_platform(platform, n):
    pass
"""

MODULE_FIXTURE = """
import pytest
from conftest import built

@pytest.fixture(scope="module")
def encoded(worker_id):
    built("encoded", worker_id)

@pytest.mark.parametrize("n", range(6))
def test_uses_the_module_fixture(encoded, n):
    pass
"""

PLAIN = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_plain(n):
    pass
"""


def _run(tmp_path: Path, dist: str) -> Counter[str]:
    suite = tmp_path / dist
    (suite / "tests").mkdir(parents=True)
    (suite / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: long\n")
    files = {
        "conftest.py": CONFTEST,
        "test_a.py": USES_PLATFORM,
        "test_b.py": USES_PLATFORM,
        "test_c.py": MODULE_FIXTURE,
        "test_d.py": PLAIN,
        "test_e.py": PLAIN,
    }
    for name, text in files.items():
        (suite / "tests" / name).write_text(text)
    log = suite / "built.log"
    log.touch()
    env = {**os.environ, "BUILT_LOG": str(log), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    command += ["--dist", dist, "--no-loadscope-reorder", "tests"]
    result = subprocess.run(
        command, cwd=suite, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "30 passed" in result.stdout, result.stdout
    return Counter(line.split()[0] for line in log.read_text().splitlines())


def test_a_module_and_the_modules_sharing_a_session_fixture_stay_on_one_worker(
    tmp_path: Path,
) -> None:
    assert _run(tmp_path, "loadgroup") == {"platform": 1, "encoded": 1}


def test_without_the_groups_the_fixtures_are_built_on_each_worker(tmp_path: Path) -> None:
    """The check above can fail: `--dist load` spreads the same suite test by test."""
    built = _run(tmp_path, "load")
    assert built["platform"] == 2 or built["encoded"] > 1, built
