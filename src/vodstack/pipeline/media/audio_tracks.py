"""The audio renditions of a title: one per audio stream of the source, and a 5.1 one beside
the stereo one when the stream has six channels or more.

The first stream's stereo rendition keeps the ladder's own name (`a128k`): it is the default,
what every earlier asset version had, and the track a source without sound gets as silence.
The others are named after their stream, language and layout (`a1-fr`, `a0-en-6ch`), which
are URL-safe and tell an operator what each folder holds. AAC for 5.1 as well as stereo:
Chromium's Media Source plays 6-channel AAC-LC (`mp4a.40.2`), not E-AC-3.

Each rendition's language and label travel with its files as `track.json` (written when it is
packaged, read by `describe_track`), so the manifests can be written from the directory alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from vodstack.delivery.languages import bcp47, language_name
from vodstack.pipeline.media.ladder import AudioRung
from vodstack.pipeline.media.probe import SourceInfo
from vodstack.pipeline.media.rendition import PackagedRendition

SURROUND_CHANNELS = 6
SURROUND_KBPS = 384  # Apple's HLS authoring spec: 5.1 AAC-LC at 320-384 kbit/s
TRACK_FILE = "track.json"


def audio_rungs(info: SourceInfo, base: AudioRung) -> tuple[AudioRung, ...]:
    """Every audio rendition of `info`, the default first (`base` alone for a silent source)."""
    rungs: list[AudioRung] = []
    for stream in info.audio_streams:
        language = bcp47(stream.language)
        label = stream.title.strip() or language_name(language)
        first = stream.index == info.audio_streams[0].index
        stereo = replace(
            base,
            name=base.name if first else f"a{stream.index}-{language}",
            stream=stream.index,
            language=language,
            label=label,
            default=first,
        )
        rungs.append(stereo)
        if stream.channels >= SURROUND_CHANNELS:
            rungs.append(
                replace(
                    stereo,
                    name=f"a{stream.index}-{language}-6ch",
                    bitrate_kbps=SURROUND_KBPS,
                    channels=SURROUND_CHANNELS,
                    label=f"{label} 5.1",
                    default=False,
                )
            )
    return tuple(rungs) or (base,)


@dataclass(frozen=True, slots=True)
class TrackLabel:
    """What the manifests say about an audio rendition beyond what its files measure."""

    language: str = "und"
    label: str = ""
    default: bool = True


def write_track(directory: Path, rung: AudioRung) -> None:
    label = TrackLabel(rung.language, rung.label or language_name(rung.language), rung.default)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / TRACK_FILE).write_text(json.dumps(asdict(label)), encoding="utf-8")


def describe_track(directory: Path) -> TrackLabel:
    """The rendition's language and label; an older asset without `track.json` is the default
    track in an undetermined language."""
    path = directory / TRACK_FILE
    if not path.is_file():
        return TrackLabel(label=language_name("und"))
    data = json.loads(path.read_text(encoding="utf-8"))
    return TrackLabel(str(data["language"]), str(data["label"]), bool(data["default"]))


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """A packaged audio rendition with what the manifests say about it."""

    rendition: PackagedRendition
    label: TrackLabel


def audio_tracks(renditions: list[PackagedRendition], root: Path) -> list[AudioTrack]:
    """The audio renditions under `root` with their labels: the default first, exactly one
    default, and names unique within the group (HLS requires both)."""
    tracks = [AudioTrack(r, describe_track(root / r.name)) for r in renditions]
    tracks.sort(key=lambda t: not t.label.default)
    seen: dict[str, int] = {}
    out = []
    for number, track in enumerate(tracks):
        name = track.label.label or language_name(track.label.language)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        out.append(
            AudioTrack(track.rendition, replace(track.label, label=name, default=number == 0))
        )
    return out
