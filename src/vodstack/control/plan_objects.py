"""The objects an offline plan is made of: the trace's, and the unrequested ones it names.

The replay (`vodstack cache evaluate --prefill`) numbers objects as the trace does. A plan that
names positions nobody has requested yet (control/coverage.py) needs numbers for them too:
the trace's own when it requests that object some day (a later request of it must find it
held), a new "virtual" one past the trace's when it never does, so an object the future never
asks for still takes room and costs its fill.

Nothing of the future reaches the plan through these numbers or their sizes:

- `sizes` (what the planner's `size_of` reads) holds 0 for every object until it has been
  requested (`observe`, after each served window); only then its size in the trace;
- a named object's size is `PastSizes`'s estimate from the objects requested so far, kept
  until the object itself is requested;
- the plan ranks and places by forecast value and these sizes only, so which number a name
  gets (the trace's or a virtual one) changes nothing but whether a later request hits it.
"""

from __future__ import annotations

from collections.abc import Iterable

from vodstack.cdn.cache.trace import Trace
from vodstack.control.coverage import PastSizes
from vodstack.control.objects import ObjectInfo, describe_all, name_at


class PlanObjects:
    """Object numbers, descriptions and sizes as a replayed plan knows them."""

    def __init__(self, trace: Trace, clairvoyant: bool = False) -> None:
        """`clairvoyant`: every size known from the start (the replay's oracle, a ceiling)."""
        self._trace_sizes = trace.sizes
        self.names = list(trace.names)
        self.traced = len(self.names)  # numbers below are the trace's objects
        # What the ids say, if anything (an opaque id is its own title).
        self.infos, self._describe = describe_all(self.names)
        # Whether any id names a segment (the position model has something to work on).
        self.segmented = any(info.position is not None for info in self.infos)
        # Known once requested, estimated once named.
        self.sizes = list(trace.sizes) if clairvoyant else [0] * len(self.names)
        self._ids = {name: key for key, name in enumerate(self.names)}
        self._requested = bytearray(len(self.names))  # virtual ones: appended, never set
        self._past = PastSizes()
        self.virtual = 0  # names the trace never requests

    def observe(self, objects: Iterable[int]) -> None:
        """Requests just served: their sizes are known from now on."""
        requested, infos, sizes, past = self._requested, self.infos, self.sizes, self._past
        for key in objects:
            if not requested[key]:
                requested[key] = 1
                sizes[key] = size = self._trace_sizes[key]
                past.add(infos[key], size)

    def resolve(self, slot: ObjectInfo, sibling: int) -> int | None:
        """The number of the object at `slot` (`SegmentCatalogue`), sized by estimate."""
        if slot.position is None:
            return None
        name = name_at(self.names[sibling], slot.position)
        key = self._ids.get(name)
        if key is not None and (self.sizes[key] or self._requested[key]):
            return key  # requested already, or named before: its size is set
        size = self._past.estimate(slot)
        if size is None:
            return None
        if key is None:
            key = self._ids[name] = len(self.names)
            self.names.append(name)
            self.infos.append(slot)
            self.sizes.append(size)
            self._requested.append(0)
            self.virtual += 1
        elif not self.sizes[key]:
            self.sizes[key] = size
        return key

    def key_of(self, name: str) -> int | None:
        """The number of an object named so far (requested, or named by a plan)."""
        return self._ids.get(name)

    def add(self, name: str, size: int) -> int:
        """The number of `name`, whose size a catalogue knows (the origin's listing)."""
        key = self._ids.get(name)
        if key is None:
            key = self._ids[name] = len(self.names)
            self.names.append(name)
            self.infos.append(self._describe(name))
            self.sizes.append(size)
            self._requested.append(0)
            self.virtual += 1
        elif not self._requested[key]:
            self.sizes[key] = size
        return key
