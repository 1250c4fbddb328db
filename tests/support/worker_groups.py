"""Which tests share a pytest-xdist worker (`scripts/test` runs `--dist loadgroup`, which
tests/conftest.py maps to `GroupScheduling`).

A module's tests stay together: its module-scoped fixtures (a platform, an encoded title) are
then built once. Modules that use the same session-scoped fixture of a conftest (the browser
tests' platform, the integration tests' platform, the media tests' encoded asset) go to one
worker too: on two workers that fixture would start twice. Fixtures a worker may well own a copy
of (`CHEAP_SESSION_FIXTURES`) do not tie modules together.

Groups holding a `slow` test are handed out first: a long end-to-end module scheduled last
would leave the other workers idle while it runs.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

# A SeaweedFS per worker costs seconds; tying storage, integration and pipeline tests to one
# worker would cost minutes.
CHEAP_SESSION_FIXTURES = frozenset({"seaweedfs", "tmp_path_factory"})


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _shared_fixtures(item: pytest.Item) -> set[str]:
    """The session-scoped fixtures defined in the suite's own files (under `<rootdir>/tests`,
    not in a plugin) that this test uses."""
    if not isinstance(item, pytest.Function):
        return set()
    ours = item.config.rootpath / "tests"
    shared = set()
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        used = definitions[-1]  # the one closest to the test (an override wins)
        if used.scope != "session" or name in CHEAP_SESSION_FIXTURES:
            continue
        source = Path(inspect.getfile(used.func))
        if source.is_relative_to(ours):
            shared.add(f"{source.relative_to(item.config.rootpath)}::{name}")
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


def assign_groups(items: list[pytest.Item]) -> dict[str, str]:
    """Each test's group, by node id; the groups holding a slow test are moved to the front of
    `items` (stable: within a group, collection order is kept)."""
    groups = _Groups()
    for item in items:
        module = _module_of(item)
        for fixture in _shared_fixtures(item):
            groups.join(fixture, module)  # the fixture names the group
    group_of = {item.nodeid: groups.find(_module_of(item)) for item in items}
    slow = {group_of[item.nodeid] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: group_of[item.nodeid] not in slow)
    return group_of


class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """xdist's scope scheduling with our groups as the scopes. (xdist's own `loadgroup` renames
    node ids, which pytest 9 no longer lets a plugin do: it silently spreads a group.)

    Only the workers collect, so each writes its map of node id to group into `directory`
    before reporting its collection; the scheduler asks for scopes once every worker has."""

    def __init__(self, config: pytest.Config, directory: Path, log: object) -> None:
        super().__init__(config, log)  # xdist's log: its own default prints to the terminal
        self.directory = directory
        self.groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self.groups is None:
            written = sorted(self.directory.glob("*.json"))
            self.groups = json.loads(written[0].read_text()) if written else {}
        return self.groups.get(nodeid, nodeid.split("::", 1)[0])
