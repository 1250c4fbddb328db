"""A service's start-up heap is moved out of the garbage collector's way.

A service process imports FastAPI, pydantic, SQLAlchemy and its own modules and builds its
app: a few hundred thousand objects that live as long as the process. CPython's collection of
the oldest generation walks every one of them, and on a loaded two-core machine one such walk
stopped a service's event loop for 100-250 ms (measured in the events benchmark,
docs/benchmarks.md): that pause, not the requests' own work, was the events p99. `gc.freeze()`
moves them to a permanent generation that collections skip; the cyclic garbage made afterwards
is collected as before, and reference counting frees everything else as always.

Only for a process that goes on to serve until it stops (`vodstack serve`): a test process
that builds many apps would keep the cycles of every one of them for good.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, then exempt every live object from later
    collections; returns how many objects were frozen."""
    gc.collect()  # start-up's garbage goes now rather than being frozen for good
    gc.freeze()
    return gc.get_freeze_count()
