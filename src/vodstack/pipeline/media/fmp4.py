"""Read the few ISO-BMFF (fragmented MP4) fields the manifests need, straight from the boxes.

From an init segment: each track's timescale, handler (video/audio), frame size and the
decoder configuration record the `CODECS` string is made of: AVC's profile/constraints/level
bytes (`avcC`), AV1's profile/level/tier/bit depth (`av1C`), VP9's profile/level/bit depth
(`vpcC`), so the string is what the encoder wrote, never assumed per rung. From a media
segment: its decode start (`tfdt`) and its duration (sum of its samples' durations), exact in
track ticks.
Parsing the boxes is exact and fast (no decode), so manifests describe the real files.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.errors import InvalidAsset

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"dinf"}


@dataclass(frozen=True, slots=True)
class TrackInit:
    """One track as described by an init segment."""

    track_id: int
    handler: str  # "vide" or "soun"
    timescale: int
    sample_entry: str  # e.g. "avc1", "mp4a"
    width: int
    height: int
    avc_profile_bytes: bytes  # profile_idc, constraint flags, level_idc (AVC only)
    channels: int
    sample_rate: int
    default_sample_duration: int
    codec_config: str = ""  # the codec string's fields after the 4CC (AV1, VP9)

    @property
    def codecs(self) -> str:
        """RFC 6381 codec string for this track."""
        if self.sample_entry in ("avc1", "avc3") and len(self.avc_profile_bytes) == 3:
            return f"{self.sample_entry}.{self.avc_profile_bytes.hex()}"
        if self.sample_entry in ("av01", "vp09") and self.codec_config:
            return f"{self.sample_entry}.{self.codec_config}"
        if self.sample_entry == "mp4a":
            return "mp4a.40.2"
        return self.sample_entry


@dataclass(frozen=True, slots=True)
class Fragment:
    """Timing of one media segment, in its track's timescale ticks."""

    decode_start: int
    duration: int
    samples: int


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload_start, box_end) for the boxes in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise InvalidAsset([f"malformed MP4 box {kind!r} at byte {pos}"])
        yield kind, pos + header, pos + size
        pos += size


def _walk(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Depth-first walk over every box, descending into plain container boxes."""
    for kind, body, box_end in _boxes(data, start, end):
        yield kind, body, box_end
        if kind in _CONTAINERS:
            yield from _walk(data, body, box_end)


def read_init(path: Path) -> list[TrackInit]:
    """Describe every track of an init segment."""
    data = path.read_bytes()
    defaults = _trex_defaults(data)
    return [_track(data, body, end, defaults) for kind, body, end in _walk(data) if kind == b"trak"]


def _track(data: bytes, start: int, end: int, defaults: dict[int, int]) -> TrackInit:
    track_id = timescale = 0
    handler = "unknown"
    entry = _SampleEntry("unknown")
    for kind, body, box_end in _walk(data, start, end):
        version = data[body] if body < box_end else 0
        if kind == b"tkhd":
            (track_id,) = struct.unpack_from(">I", data, body + (20 if version else 12))
        elif kind == b"mdhd":
            (timescale,) = struct.unpack_from(">I", data, body + (20 if version else 12))
        elif kind == b"hdlr":
            handler = data[body + 8 : body + 12].decode("ascii", "replace")
        elif kind == b"stsd":
            entry = _sample_entry(data, body + 8, box_end)
    return TrackInit(
        track_id=track_id,
        handler=handler,
        timescale=timescale,
        sample_entry=entry.kind,
        width=entry.width,
        height=entry.height,
        avc_profile_bytes=entry.avc_profile,
        codec_config=entry.codec_config,
        channels=entry.channels,
        sample_rate=entry.sample_rate,
        default_sample_duration=defaults.get(track_id, 0),
    )


@dataclass(frozen=True, slots=True)
class _SampleEntry:
    kind: str
    width: int = 0
    height: int = 0
    avc_profile: bytes = b""
    channels: int = 0
    codec_config: str = ""
    sample_rate: int = 0


def _sample_entry(data: bytes, start: int, end: int) -> _SampleEntry:
    """The first sample entry of an `stsd` (its body starts after version/flags/count)."""
    for kind, body, box_end in _boxes(data, start, end):
        if kind in _PROTECTED:
            kind = _original_format(data, body + _PROTECTED[kind], box_end)
        entry = kind.decode("ascii", "replace")
        if kind == b"mp4a":
            # AudioSampleEntry: 8 bytes SampleEntry, 8 reserved, then channelcount, samplesize,
            # 4 reserved, samplerate as 16.16 fixed point.
            channels = struct.unpack_from(">H", data, body + 16)[0]
            rate = struct.unpack_from(">I", data, body + 24)[0] >> 16
            return _SampleEntry(entry, channels=channels, sample_rate=rate)
        if kind not in (b"avc1", b"avc3", b"av01", b"vp09"):
            return _SampleEntry(entry)
        width, height = struct.unpack_from(">HH", data, body + 24)
        # VisualSampleEntry is 78 bytes before its child boxes (the configuration among them).
        for child, child_body, child_end in _boxes(data, body + 78, box_end):
            if child == b"avcC":
                profile = bytes(data[child_body + 1 : child_body + 4])
                return _SampleEntry(entry, width, height, profile)
            if child == b"av1C" and child_end - child_body >= 4:
                config = _av1_config(data, child_body)
                return _SampleEntry(entry, width, height, codec_config=config)
            if child == b"vpcC" and child_end - child_body >= 7:
                config = _vp9_config(data, child_body)
                return _SampleEntry(entry, width, height, codec_config=config)
        return _SampleEntry(entry, width, height)
    return _SampleEntry("unknown")


# Common Encryption renames a protected sample entry (`encv`/`enca`) and keeps the original
# format in `sinf/frma`; the rest of the entry is unchanged, so it is read as the original.
# Values: the size of the entry's fixed fields before its child boxes.
_PROTECTED = {b"encv": 78, b"enca": 28}


def _original_format(data: bytes, start: int, end: int) -> bytes:
    for kind, body, box_end in _boxes(data, start, end):
        if kind == b"sinf":
            for child, child_body, _ in _boxes(data, body, box_end):
                if child == b"frma":
                    return bytes(data[child_body : child_body + 4])
    return b"unknown"


def _av1_config(data: bytes, body: int) -> str:
    """`P.LLT.DD` from an AV1CodecConfigurationRecord (AV1-ISOBMFF 2.3, codecs parameter in
    its Annex A): seq_profile, seq_level_idx_0, seq_tier_0, and the bit depth its flags give.
    The optional colour fields are left out: they default to what our encodes carry."""
    profile_level, flags = data[body + 1], data[body + 2]
    profile, level = profile_level >> 5, profile_level & 0x1F
    tier = "H" if flags & 0x80 else "M"
    high_bitdepth, twelve_bit = bool(flags & 0x40), bool(flags & 0x20)
    depth = 12 if high_bitdepth and twelve_bit else 10 if high_bitdepth else 8
    return f"{profile}.{level:02d}{tier}.{depth:02d}"


def _vp9_config(data: bytes, body: int) -> str:
    """`PP.LL.DD` from a VPCodecConfigurationBox (VP-ISOBMFF: a full box, then profile, level,
    and bitDepth in the high nibble of the next byte)."""
    profile, level, depth = data[body + 4], data[body + 5], data[body + 6] >> 4
    return f"{profile:02d}.{level:02d}.{depth:02d}"


def _trex_defaults(data: bytes) -> dict[int, int]:
    defaults: dict[int, int] = {}
    for kind, body, _ in _walk(data):
        if kind == b"trex":
            track_id, _index, duration = struct.unpack_from(">III", data, body + 4)
            defaults[track_id] = duration
    return defaults


def read_fragment(path: Path, default_sample_duration: int = 0) -> Fragment:
    """Decode start and duration of a media segment (all its `moof`s, single track)."""
    data = path.read_bytes()
    decode_start: int | None = None
    duration = 0
    samples = 0
    fallback = default_sample_duration
    for kind, body, box_end in _walk(data):
        if kind == b"tfhd":
            fallback = _tfhd_default_duration(data, body) or default_sample_duration
        elif kind == b"tfdt" and decode_start is None:
            version = data[body] if body < box_end else 0
            fmt = ">Q" if version else ">I"
            decode_start = struct.unpack_from(fmt, data, body + 4)[0]
        elif kind == b"trun":
            count, total = _trun_duration(data, body, fallback)
            samples += count
            duration += total
    if decode_start is None or samples == 0:
        raise InvalidAsset([f"{path.name}: not a media segment (no tfdt or no samples)"])
    return Fragment(decode_start=decode_start, duration=duration, samples=samples)


def _tfhd_default_duration(data: bytes, body: int) -> int:
    flags = int.from_bytes(data[body + 1 : body + 4], "big")
    offset = body + 8  # version/flags + track_ID
    if flags & 0x01:
        offset += 8  # base_data_offset
    if flags & 0x02:
        offset += 4  # sample_description_index
    if flags & 0x08:
        return int(struct.unpack_from(">I", data, offset)[0])
    return 0


def _trun_duration(data: bytes, body: int, default_duration: int) -> tuple[int, int]:
    flags = int.from_bytes(data[body + 1 : body + 4], "big")
    (count,) = struct.unpack_from(">I", data, body + 4)
    offset = body + 8
    if flags & 0x01:
        offset += 4  # data_offset
    if flags & 0x04:
        offset += 4  # first_sample_flags
    if not flags & 0x100:
        return count, count * default_duration
    stride = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    total = sum(struct.unpack_from(">I", data, offset + i * stride)[0] for i in range(count))
    return count, total
