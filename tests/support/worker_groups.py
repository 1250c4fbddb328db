"""Which tests share a pytest-xdist worker (`scripts/test` runs `--dist loadgroup`).

A module's tests stay together: its module-scoped fixtures (a platform, an encoded title) are
then built once. Modules that use the same session-scoped fixture of a conftest (the browser
tests' platform, the integration tests' platform, the media tests' encoded asset) go to one
worker too: on two workers that fixture would start twice. Fixtures a worker may well own a copy
of (`CHEAP_SESSION_FIXTURES`) do not tie modules together.

Groups holding a `slow` test are handed out first: a long end-to-end module scheduled last
would leave the other workers idle while it runs.
"""

from __future__ import annotations

import pytest

# A SeaweedFS per worker costs seconds; tying storage, integration and pipeline tests to one
# worker would cost minutes.
CHEAP_SESSION_FIXTURES = frozenset({"seaweedfs", "tmp_path_factory"})


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _shared_fixtures(item: pytest.Item) -> set[str]:
    """The session-scoped fixtures of the test suite's own conftests this test uses."""
    if not isinstance(item, pytest.Function):
        return set()
    shared = set()
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        used = definitions[-1]  # the one closest to the test (an override wins)
        module = getattr(used.func, "__module__", "")
        cheap = name in CHEAP_SESSION_FIXTURES
        if used.scope == "session" and module.startswith("tests.") and not cheap:
            shared.add(f"{module}.{name}")
    return shared


class _Groups:
    """Union-find over modules and the shared fixtures that tie them."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)


def assign_groups(items: list[pytest.Item]) -> None:
    """Mark every test with its `xdist_group` and order the groups holding slow tests first
    (stable: within a group, collection order is kept)."""
    groups = _Groups()
    for item in items:
        module = _module_of(item)
        for fixture in _shared_fixtures(item):
            groups.join(fixture, module)  # the fixture names the group
    group_of = {id(item): groups.find(_module_of(item)) for item in items}
    slow = {group_of[id(item)] for item in items if item.get_closest_marker("slow")}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of[id(item)]))
    items.sort(key=lambda item: group_of[id(item)] not in slow)
