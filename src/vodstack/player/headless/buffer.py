"""The playback buffer: media downloaded but not yet played, and the stalls when it runs dry.

Time here is session time (seconds since pressing play), advanced by the player: while a segment
downloads, the playhead consumes the buffer; if the buffer empties first, playback stalls
(a rebuffer) until the segment arrives. Playback begins once the first segment is in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PlaybackBuffer:
    #: Above this level the player idles instead of fetching (a browser's forward buffer goal).
    max_level_s: float = 30.0
    level_s: float = 0.0
    #: Media seconds played so far.
    played_s: float = 0.0
    playing: bool = False
    rebuffer_count: int = 0
    rebuffer_s: float = 0.0

    def elapse(self, seconds: float) -> float:
        """Let `seconds` of session time pass; returns the stall they caused."""
        if not self.playing or seconds <= 0:
            return 0.0
        played = min(self.level_s, seconds)
        self.level_s -= played
        self.played_s += played
        stall = seconds - played
        if stall > 0:
            self.rebuffer_count += 1
            self.rebuffer_s += stall
        return stall

    def append(self, duration_s: float) -> None:
        """A segment of `duration_s` arrived; the first one starts playback."""
        self.level_s += duration_s
        self.playing = True

    def idle_needed_s(self) -> float:
        """How long to wait before the next fetch to stay within `max_level_s`."""
        return max(0.0, self.level_s - self.max_level_s)

    def drain(self) -> float:
        """Play out what is buffered (the end of the title); returns the time it takes."""
        remaining = self.level_s
        self.played_s += remaining
        self.level_s = 0.0
        return remaining
