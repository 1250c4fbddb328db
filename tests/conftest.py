"""Suite-wide hooks: how the tests are spread over pytest-xdist workers (tests/support/
worker_groups.py). A serial run (`-n 0`, or no xdist) keeps collection order untouched."""

from __future__ import annotations

import pytest

from tests.support.worker_groups import assign_groups


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the `xdist_group` marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "loadgroup", False):
        assign_groups(items)
