"""Which misses a cache keeps: a title's first viewing in a while is served, not cached.

On VOD traces most of a day's bytes are on objects requested once that day, and a title
viewed for the first time in a while in a region is most often viewed only that once; caching
it pushes out what repeat viewings need. So a viewer's miss is kept only if its title was
also missed in the region in an earlier slice of the UTC day (`slices_per_day` slices, 8:
three hours), at most a day back: the title is being watched now, by more than one session.
Measured on generated VOD traces (docs/benchmarks.md, "Title-level admission"): it helps
where titles get a few viewings a day and loses to S3-FIFO alone where they get many (S3-FIFO
already drops one-time objects), so the edges run without it unless configured.

It uses only requests already made, costs the origin nothing (a refused miss is fetched
anyway, as it would be without a cache) and one dict lookup per miss. Titles are remembered
from misses only (a title's first request is a miss), one entry per title ever missed.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

DAY_S = 86400

T = TypeVar("T", bound=Hashable)


class TitleAdmission(Generic[T]):
    """Admit a miss when its title was also missed in an earlier slice, within a day."""

    def __init__(self, slices_per_day: int) -> None:
        if slices_per_day < 1:
            raise ValueError("slices_per_day must be at least 1 (0 means no admission filter)")
        self.slices_per_day = slices_per_day
        self.slice_s = DAY_S / slices_per_day
        # title -> (the latest slice with a miss before `last`, or None; the latest slice)
        self.seen: dict[T, tuple[int | None, int]] = {}
        self.refused = 0

    def admits(self, title: T, when_s: float) -> bool:
        """Record a miss of `title` at `when_s` (Unix seconds); True if it may be cached."""
        now = int(when_s // self.slice_s)
        before, last = self.seen.get(title, (None, None))
        if last is None or now > last:
            before = last
            self.seen[title] = (before, now)
        else:
            now = last  # the same slice, or a clock gone back (trace lines out of order)
        if before is not None and now - before <= self.slices_per_day:
            return True
        self.refused += 1
        return False


def make_admission(slices_per_day: int) -> TitleAdmission[T] | None:
    """The filter for `cdn.admission_slices_per_day`; None (admit every miss) for 0."""
    return TitleAdmission(slices_per_day) if slices_per_day else None
