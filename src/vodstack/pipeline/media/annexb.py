"""Raw H.264 (Annex B) streams: where the leading key frame ends.

A sample encode (media.samples) is a short raw stream that must start with an IDR frame, and a
key frame costs several times a predicted one. The real encode has one key frame per 4 s GOP,
so a 1.6 s sample carries 2.5 times the real share of key-frame bits: its rate reads high, most
on content whose predicted frames are cheap (static, scrolling, blocky). Splitting the stream
into the leading key access unit (parameter sets, SEI, the IDR slices) and the rest lets the
analysis spread the key frame over a real GOP instead.
"""

from __future__ import annotations

from dataclasses import dataclass

_NON_IDR_SLICE = 1  # nal_unit_type of a coded slice of a predicted (non-IDR) picture


@dataclass(frozen=True, slots=True)
class StreamSplit:
    """Bytes of the leading key access unit and of everything after it."""

    key_bytes: int
    rest_bytes: int


def split_leading_key(stream: bytes) -> StreamSplit:
    """Split at the first non-IDR slice: all before it is the stream's first key frame."""
    for start in _nal_starts(stream):
        if start < len(stream) and stream[start] & 0x1F == _NON_IDR_SLICE:
            cut = _prefix_start(stream, start)
            return StreamSplit(cut, len(stream) - cut)
    return StreamSplit(len(stream), 0)


def _nal_starts(stream: bytes) -> list[int]:
    """Offsets of each NAL unit's header byte (just after a 00 00 01 start code)."""
    starts = []
    found = stream.find(b"\x00\x00\x01")
    while found != -1:
        starts.append(found + 3)
        found = stream.find(b"\x00\x00\x01", found + 3)
    return starts


def _prefix_start(stream: bytes, header: int) -> int:
    """Where the start code before the NAL header at `header` begins (3 or 4 bytes)."""
    begin = header - 3
    return begin - 1 if begin > 0 and stream[begin - 1] == 0 else begin
