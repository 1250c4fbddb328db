"""The start-up heap freeze: a service's long-lived objects leave the collector's walks, and
garbage made afterwards is still collected. In a child process: a frozen heap is for good."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_CHILD = """
import gc, weakref
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.services.events.app import create_app
from vodstack.core.heap import freeze_startup_heap

app = create_app(with_secrets(load_settings(data_dir={data_dir!r})))
frozen = freeze_startup_heap()
assert frozen > 50_000, frozen  # the imports and the app, exempt from every later walk

class Node:
    pass

collected = []
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up: reference counting cannot free it
weakref.finalize(a, collected.append, "a")
del a, b
gc.collect()
assert collected == ["a"], collected
assert gc.get_freeze_count() >= frozen
print("ok", frozen)
"""


def test_a_frozen_service_still_collects_the_cycles_it_makes_later(tmp_path: Path) -> None:
    child = _CHILD.format(data_dir=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
