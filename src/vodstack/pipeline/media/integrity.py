"""Where a master's data is damaged: the time of the first frame that does not decode cleanly.

The probe decodes only the edges of a master, so damage in the middle (a few kilobytes zeroed
by a bad disk or a broken copy) passes it. The split decodes every frame anyway, with ffmpeg's
`-xerror` (any corrupt frame ends the run), so checking the whole master costs nothing extra.
When a split fails, this module decodes the chunk's range again with PyAV, strictly
(`err_detect=explode`, corrupt frames counted as errors), to tell damage, which is the
uploader's to fix and names the time position, from an ffmpeg failure, which is ours and retried.
"""

from __future__ import annotations

from typing import Any

import av
import av.error

_STRICT = {"err_detect": "explode"}


def locate_corruption(path: str, kind: str, start_s: float, end_s: float) -> float | None:
    """The time (s) where the first damaged `kind` ("video"/"audio") data in [start_s, end_s]
    is, or None if the range decodes cleanly."""
    try:
        with av.open(path, metadata_errors="ignore") as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                return None
            return _first_damage(container, streams[0], start_s, end_s)
    except av.error.FFmpegError:
        return start_s  # the range cannot even be opened or seeked to


def _first_damage(container: Any, stream: Any, start_s: float, end_s: float) -> float | None:
    stream.codec_context.options = dict(_STRICT)
    base = stream.start_time if stream.start_time is not None else 0
    tb = stream.time_base
    if start_s > 0:
        container.seek(int(start_s / tb) + base, stream=stream, backward=True)
    at = start_s
    for packet in container.demux(stream):
        if packet.pts is not None:
            at = float((packet.pts - base) * tb)
        if at > end_s:
            return None
        # Damage in the pre-roll (keyframe to start_s) counts too: the split decoded it as well.
        try:
            frames = stream.decode(packet)
        except av.error.FFmpegError:
            return max(at, 0.0)
        if any(frame.is_corrupt for frame in frames):
            return max(at, 0.0)
    return None
