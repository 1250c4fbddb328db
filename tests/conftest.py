"""Suite-wide hooks: how the tests are spread over pytest-xdist workers (tests/support/
worker_groups.py) under `--dist loadgroup`. A serial run (`-n 0`, or no xdist) keeps
collection order untouched."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.worker_groups import GroupScheduling, assign_groups

# Where the workers leave their maps of node id to group (set by the controller, inherited).
GROUPS_DIR = "VODSTACK_TEST_GROUPS_DIR"


def _grouping(config: pytest.Config) -> bool:
    return bool(config.getoption("dist", "no") == "loadgroup" and config.getoption("tx", None))


def pytest_configure(config: pytest.Config) -> None:
    if _grouping(config) and not hasattr(config, "workerinput"):
        os.environ[GROUPS_DIR] = tempfile.mkdtemp(prefix="vodstack-test-groups-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _grouping(config) and not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(GROUPS_DIR), ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> GroupScheduling | None:
    if not _grouping(config):
        return None
    return GroupScheduling(config, Path(os.environ[GROUPS_DIR]), log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or not getattr(config.option, "loadgroup", False):
        return
    groups = assign_groups(items)
    written = Path(os.environ[GROUPS_DIR]) / f"{workerinput['workerid']}.json"
    partial = written.with_suffix(".tmp")
    partial.write_text(json.dumps(groups))
    partial.rename(written)  # whole or absent when the scheduler looks
