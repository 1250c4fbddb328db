"""The DASH MPD over the same CMAF files the HLS playlists use.

One static Period; a video AdaptationSet per codec (every rung of that codec: players switch
within a set, never across codecs mid-play; `selectionPriority` ranks the most efficient codec
first for a player choosing among the sets it can decode) and one per audio language (its
stereo and 5.1 renditions are representations of it). Each
Representation has a `SegmentTemplate` naming the shared files (`$Number%05d$`, from 1) with a
`SegmentTimeline` of the segments' exact start and duration ticks, read from the files, so the
MPD is exact even when a frame rate does not divide the 4 s segment evenly.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction

from vodstack.pipeline.media.audio_tracks import AudioTrack, TrackLabel
from vodstack.pipeline.media.ladder import CODEC_PREFERENCE
from vodstack.pipeline.media.rendition import INIT_NAME, PackagedRendition, Segment, codec_groups

_NS = "urn:mpeg:dash:schema:mpd:2011"
_PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"
_CHANNELS_SCHEME = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
_ROLE_SCHEME = "urn:mpeg:dash:role:2011"


def mpd(video: Sequence[PackagedRendition], audio: PackagedRendition | Sequence[AudioTrack]) -> str:
    """The MPD document for one asset version (paths relative to the asset root)."""
    tracks = [AudioTrack(audio, TrackLabel())] if isinstance(audio, PackagedRendition) else audio
    every = [*video, *(t.rendition for t in tracks)]
    duration = max(r.duration_s for r in every)
    longest = max(s.duration_s for r in every for s in r.segments)
    root = ET.Element(
        "MPD",
        {
            "xmlns": _NS,
            "profiles": _PROFILE,
            "type": "static",
            "mediaPresentationDuration": _iso_duration(duration),
            "minBufferTime": _iso_duration(longest),
        },
    )
    period = ET.SubElement(root, "Period", {"id": "0", "start": "PT0S"})
    languages = len({t.label.language for t in tracks})
    for index, group in enumerate(codec_groups(video)):
        # Ids 1..languages are the audio sets' (id 1 kept from the single-codec layout);
        # the first codec's set is 0, further codecs follow the audio sets.
        _video_set(period, group, "0" if index == 0 else str(languages + index))
    _audio_sets(period, tracks)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _video_set(period: ET.Element, video: Sequence[PackagedRendition], set_id: str) -> None:
    ordered = sorted(video, key=lambda r: r.peak_bps)
    top = max(ordered, key=lambda r: r.width * r.height)
    fps = top.frame_rate or Fraction(0)
    codec = ordered[0].codec
    priority = len(CODEC_PREFERENCE) - CODEC_PREFERENCE.index(codec) if codec else 0
    adaptation = ET.SubElement(
        period,
        "AdaptationSet",
        {
            "id": set_id,
            "contentType": "video",
            "mimeType": "video/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
            "maxWidth": str(top.width),
            "maxHeight": str(top.height),
            "maxFrameRate": _frame_rate(fps),
            "selectionPriority": str(priority),
        },
    )
    for rendition in ordered:
        representation = ET.SubElement(
            adaptation,
            "Representation",
            {
                "id": rendition.name,
                "bandwidth": str(rendition.peak_bps),
                "codecs": rendition.codecs,
                "width": str(rendition.width),
                "height": str(rendition.height),
                "frameRate": _frame_rate(rendition.frame_rate or fps),
                "sar": "1:1",
            },
        )
        _segment_template(representation, rendition)


def _audio_sets(period: ET.Element, tracks: Sequence[AudioTrack]) -> None:
    """One AdaptationSet per language (its layouts are representations of it), the default
    language's marked `main`, so a player starts there and lists the others to switch to."""
    languages = list(dict.fromkeys(t.label.language for t in tracks))
    for number, language in enumerate(languages, start=1):
        members = [t for t in tracks if t.label.language == language]
        main = any(t.label.default for t in members)
        adaptation = ET.SubElement(
            period,
            "AdaptationSet",
            {
                "id": str(number),
                "contentType": "audio",
                "mimeType": "audio/mp4",
                "lang": language,
                "segmentAlignment": "true",
                "startWithSAP": "1",
            },
        )
        # Schema order: Label (a common element) before Role.
        ET.SubElement(adaptation, "Label").text = members[0].label.label or language
        ET.SubElement(
            adaptation,
            "Role",
            {"schemeIdUri": _ROLE_SCHEME, "value": "main" if main else "alternate"},
        )
        for track in members:
            _audio_representation(adaptation, track.rendition)


def _audio_representation(adaptation: ET.Element, audio: PackagedRendition) -> None:
    representation = ET.SubElement(
        adaptation,
        "Representation",
        {
            "id": audio.name,
            "bandwidth": str(audio.peak_bps),
            "codecs": audio.codecs,
            "audioSamplingRate": str(audio.sample_rate),
        },
    )
    ET.SubElement(
        representation,
        "AudioChannelConfiguration",
        {"schemeIdUri": _CHANNELS_SCHEME, "value": str(audio.channels)},
    )
    _segment_template(representation, audio)


def _segment_template(parent: ET.Element, rendition: PackagedRendition) -> None:
    template = ET.SubElement(
        parent,
        "SegmentTemplate",
        {
            "timescale": str(rendition.timescale),
            "initialization": f"{rendition.name}/{INIT_NAME}",
            "media": f"{rendition.name}/seg_$Number%05d$.m4s",
            "startNumber": str(rendition.segments[0].number),
        },
    )
    timeline = ET.SubElement(template, "SegmentTimeline")
    for start, duration, repeat in _runs(rendition.segments):
        attributes = {"t": str(start), "d": str(duration)}
        if repeat:
            attributes["r"] = str(repeat)
        ET.SubElement(timeline, "S", attributes)


def _runs(segments: Sequence[Segment]) -> list[tuple[int, int, int]]:
    """Run-length encode the timeline: (start, duration, extra repeats)."""
    runs: list[tuple[int, int, int]] = []
    for segment in segments:
        if runs:
            start, duration, repeat = runs[-1]
            contiguous = start + duration * (repeat + 1) == segment.start
            if contiguous and duration == segment.duration:
                runs[-1] = (start, duration, repeat + 1)
                continue
        runs.append((segment.start, segment.duration, 0))
    return runs


def _frame_rate(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _iso_duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"
