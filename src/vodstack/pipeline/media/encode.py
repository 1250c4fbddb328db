"""Chunk planning and the encode commands: one chunk x one rendition, audio, the one-shot ladder.

The frame grid: after normalization, output frame n is presented at n / fps on the source
timeline. A chunk is a half-open frame range [first_frame, end_frame) whose start is a multiple
of the segment length, so every chunk starts with the keyframe of a segment boundary. Each chunk
encode seeks to a grid frame a little before the chunk (fast input seek), resamples with `fps`
(which keeps the grid because the seek point is itself on the grid), trims exactly the chunk's
frames by their grid index and restarts timestamps at zero. Chunk k therefore holds exactly
`end_frame - first_frame` frames and the concat demuxer lays the chunks end to end at the right
times. Keyframes are forced at the first frame at or after every multiple of the segment length
(exact multiples whenever segment_s x fps is an integer), with scene-cut keyframes off and closed
GOPs, so every rendition cuts into segments at the same instants.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.delivery.languages import iso639_2
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.ladder import AudioRung, ResolvedLadder, VideoCodec, VideoRendition
from vodstack.pipeline.media.normalize import Normalization, output_filters, picture_filters
from vodstack.pipeline.media.probe import SourceInfo

SEGMENT_S = 4.0
DEFAULT_CHUNK_S = 16.0
# Frames decoded before a chunk so the fps filter has history; costs ~1 s of decode per chunk.
SEEK_MARGIN_S = 1.0
# What a keyframe-aligned chunk plan charges per segment a chunk differs from the asked length.
_DEVIATION_COST_S = 0.75
_AAC_FRAME_SAMPLES = 1024


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """Encoder knobs shared by every rendition of a job (and by the one-shot benchmark anchor)."""

    preset: str = "veryfast"
    threads: int = 0  # 0: x264 decides; 1 for the worker-scaling benchmark
    segment_s: float = SEGMENT_S
    # SVT-AV1 presets run 0 (slowest) to 13; 9 is the fastest its authors still mean for
    # viewing (10+ "for automation tooling"); its cost and bit savings: docs/benchmarks.md.
    av1_preset: int = 9
    # libvpx-vp9 `-deadline good` speed 0-8 (5 and up drop the costliest tools).
    vp9_speed: int = 5


@dataclass(frozen=True, slots=True)
class Chunk:
    """A frame range of the normalized source; `start_s` is a multiple of the segment length."""

    index: int
    first_frame: int
    end_frame: int  # exclusive
    start_s: float
    end_s: float

    @property
    def frames(self) -> int:
        return self.end_frame - self.first_frame

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class EncodedFile:
    """An encode's output file and what it cost."""

    path: Path
    size_bytes: int
    elapsed_s: float


def total_frames(info: SourceInfo, norm: Normalization) -> int:
    """Frames in the normalized source: the grid up to the source's duration."""
    return max(1, norm.frame_at(info.duration_s))


def plan_chunks(
    info: SourceInfo,
    norm: Normalization,
    *,
    chunk_s: float = DEFAULT_CHUNK_S,
    segment_s: float = SEGMENT_S,
    align_to_keyframes: bool = False,
) -> tuple[Chunk, ...]:
    """Cut the source into chunks of `chunk_s` (rounded to whole segments); the last is shorter.

    With `align_to_keyframes`, each chunk may be a segment shorter or longer than that, chosen
    so the decode wasted before the chunks' starts is least (`keyframe_aligned_starts`).
    """
    segments_per_chunk = max(1, round(chunk_s / segment_s))
    frames = total_frames(info, norm)
    segments = _segments(norm, frames, segment_s)
    if align_to_keyframes and info.keyframe_times:
        starts = keyframe_aligned_starts(
            segments, segments_per_chunk, info.keyframe_times, norm, segment_s
        )
    else:
        starts = list(range(0, segments, segments_per_chunk))
    chunks: list[Chunk] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else segments
        first = norm.frame_at(start * segment_s)
        last = min(norm.frame_at(end * segment_s), frames)
        end_s = min(end * segment_s, norm.time_of(last))
        chunks.append(Chunk(index, first, last, start * segment_s, end_s))
    return tuple(chunks)


def _segments(norm: Normalization, frames: int, segment_s: float) -> int:
    """Segments holding `frames` grid frames (the last may be partial)."""
    count = 0
    while norm.frame_at(count * segment_s) < frames:
        count += 1
    return count


def _seek_frame(norm: Normalization, first_frame: int) -> int:
    """The grid frame a chunk starting at `first_frame` seeks to: `SEEK_MARGIN_S` early."""
    return max(0, first_frame - round(SEEK_MARGIN_S * float(norm.fps)))


def decode_waste_s(start_s: float, norm: Normalization, keyframes: Sequence[float]) -> float:
    """Seconds of source decoded and thrown away before the chunk starting at `start_s`: a
    split seeks `SEEK_MARGIN_S` early (grid_window), and decoding starts at the keyframe at or
    before that point."""
    seek_frame = _seek_frame(norm, norm.frame_at(start_s))
    if seek_frame == 0:
        return 0.0
    seek_s = norm.time_of(seek_frame)
    before = bisect.bisect_right(keyframes, seek_s + 1e-6)
    return seek_s - (keyframes[before - 1] if before else 0.0)


def keyframe_aligned_starts(
    segments: int,
    per_chunk: int,
    keyframes: Sequence[float],
    norm: Normalization,
    segment_s: float = SEGMENT_S,
) -> list[int]:
    """Chunk starts (in segments) minimising the decode wasted before them.

    Every chunk but the last is `per_chunk` segments, or one fewer or one more; the last is at
    most one more. A master with a 10 s GOP (x264's default at 25 fps) cut every 16 s decoded
    13 s of video per minute that it then dropped; starts just after its keyframes (12, 32,
    52 s) drop 3 s. Dynamic programming over the segment grid. A chunk of another length than
    asked must pay for itself: it costs `_DEVIATION_COST_S` of decode per segment of difference,
    so a short-GOP master (every start wastes under a GOP) keeps the asked length.
    """
    lengths = sorted({max(1, per_chunk + d) for d in (-1, 0, 1)})
    waste = [decode_waste_s(i * segment_s, norm, keyframes) for i in range(segments)]
    best: list[float] = [0.0] + [float("inf")] * segments  # best[i]: chunks covering [0, i)
    came_from = [0] * (segments + 1)
    for end in range(1, segments + 1):
        for length in lengths:
            start = end - length
            if start < 0 or best[start] == float("inf"):
                continue
            cost = best[start] + waste[start] + _DEVIATION_COST_S * abs(length - per_chunk)
            if cost < best[end]:
                best[end], came_from[end] = cost, start
    # The last chunk may be shorter than the others: end anywhere within its reach.
    last_start = min(
        range(max(0, segments - max(lengths)), segments),
        key=lambda i: best[i] + waste[i],
    )
    starts = [last_start]
    while starts[-1] > 0:
        starts.append(came_from[starts[-1]])
    return starts[::-1]


def keyframe_times(chunk: Chunk, norm: Normalization, segment_s: float = SEGMENT_S) -> list[float]:
    """Chunk-relative times at which keyframes are forced: one per segment boundary."""
    times: list[float] = []
    boundary = chunk.start_s
    while boundary < chunk.end_s - 1e-9:
        frame = norm.frame_at(boundary) - chunk.first_frame
        # A quarter frame early, so rounding in the decimal time never skips the frame.
        times.append(max(0.0, (frame - 0.25) / float(norm.fps)))
        boundary += segment_s
    return times


def chunk_command(
    source: Path,
    norm: Normalization,
    chunk: Chunk,
    renditions: Sequence[VideoRendition],
    out_paths: Sequence[Path],
    settings: EncoderSettings,
) -> list[str]:
    """ffmpeg arguments (after the runner's global options) for one chunk x renditions.

    Several renditions share one decode of the chunk (`split`), one MP4 output each.
    """
    if len(renditions) != len(out_paths) or not renditions:
        raise ValueError("need one output path per rendition")
    inputs, window = grid_window(source, norm, chunk.first_frame, chunk.end_frame)
    count = len(renditions)
    graph = [f"[0:v:0]{','.join(window)},split={count}" + "".join(f"[s{i}]" for i in range(count))]
    for i, rendition in enumerate(renditions):
        graph.append(f"[s{i}]{','.join(output_filters(rendition.width, rendition.height))}[v{i}]")
    force = ",".join(f"{t:.6f}" for t in keyframe_times(chunk, norm, settings.segment_s))
    args = [*inputs, "-filter_complex", ";".join(graph)]
    for i, (rendition, out_path) in enumerate(zip(renditions, out_paths, strict=True)):
        args += ["-map", f"[v{i}]", "-an", "-sn", "-dn", *video_codec_args(rendition, settings)]
        args += ["-force_key_frames", force, "-f", "mp4", str(out_path)]
    return args


def grid_window(
    source: Path, norm: Normalization, first_frame: int, end_frame: int
) -> tuple[list[str], list[str]]:
    """Input arguments and filters selecting grid frames [first_frame, end_frame), from t=0.

    Seeks to a grid frame about a second early so the `fps` filter has history; because the
    seek point is on the grid, output frame j of `fps` is grid frame seek_frame + j.
    """
    seek_frame = _seek_frame(norm, first_frame)
    seek_s = norm.time_of(seek_frame)
    read_s = norm.time_of(end_frame) - seek_s + SEEK_MARGIN_S
    inputs = [*(["-ss", f"{seek_s:.6f}"] if seek_frame else []), "-t", f"{read_s:.6f}"]
    trim = f"trim=start_pts={first_frame - seek_frame}:end_pts={end_frame - seek_frame}"
    filters = [*picture_filters(norm), trim, "setpts=PTS-STARTPTS"]
    return [*inputs, "-i", str(source)], filters


def video_codec_args(
    rendition: VideoRendition, settings: EncoderSettings, stream: str = "v"
) -> list[str]:
    """The encoder arguments of `rendition`'s codec; every codec gets the same fixed, closed GOP
    of one segment and keyframes forced at the segment starts (`-force_key_frames`, which every
    one of these encoders obeys), so all codecs cut at the same instants."""
    if rendition.codec is VideoCodec.AV1:
        return svtav1_args(rendition, settings, stream)
    if rendition.codec is VideoCodec.VP9:
        return vp9_args(rendition, settings, stream)
    return x264_args(rendition, settings, stream)


def svtav1_args(
    rendition: VideoRendition, settings: EncoderSettings, stream: str = "v"
) -> list[str]:
    """SVT-AV1 in VBR, 8-bit 4:2:0 Main profile; scene-change keyframes off so the forced
    segment starts are the only key frames (closed GOP: `irefresh-type=2`). SVT-AV1 caps the
    peak only in CRF mode, so the rung's maxrate becomes `maxsection-pct`: no GOP (= segment)
    above maxrate/bitrate of the target, the same 4 s peak bound as x264's VBV."""
    rung = rendition.rung
    peak_pct = max(100, round(100 * rung.maxrate_kbps / rung.bitrate_kbps))
    params = [
        "rc=1",
        f"maxsection-pct={peak_pct}",
        "scd=0",
        "irefresh-type=2",
        f"keyint={rendition.gop_frames}",
    ]
    if settings.threads:
        params.append(f"lp={settings.threads}")
    return [
        f"-c:{stream}",
        "libsvtav1",
        f"-preset:{stream}",
        str(settings.av1_preset),
        f"-pix_fmt:{stream}",
        "yuv420p",
        f"-b:{stream}",
        f"{rung.bitrate_kbps}k",
        f"-g:{stream}",
        str(rendition.gop_frames),
        f"-svtav1-params:{stream}",
        ":".join(params),
    ]


def vp9_args(rendition: VideoRendition, settings: EncoderSettings, stream: str = "v") -> list[str]:
    """libvpx-vp9 in capped VBR, profile 0 (8-bit 4:2:0), row-multithreaded, fixed keyframe
    interval (`-g` = `-keyint_min`) and keyframes only where forced."""
    return [
        f"-c:{stream}",
        "libvpx-vp9",
        f"-deadline:{stream}",
        "good",
        f"-cpu-used:{stream}",
        str(settings.vp9_speed),
        f"-row-mt:{stream}",
        "1",
        f"-pix_fmt:{stream}",
        "yuv420p",
        *_capped_vbr(rendition, stream),
        f"-threads:{stream}",
        str(settings.threads),
    ]


def _capped_vbr(rendition: VideoRendition, stream: str) -> list[str]:
    """The rung's capped-VBR budget and the fixed GOP of one segment, as libx264 and libvpx
    spell them (SVT-AV1 caps its peak otherwise: svtav1_args)."""
    rung, gop = rendition.rung, str(rendition.gop_frames)
    return [
        f"-b:{stream}",
        f"{rung.bitrate_kbps}k",
        f"-maxrate:{stream}",
        f"{rung.maxrate_kbps}k",
        f"-bufsize:{stream}",
        f"{rung.bufsize_kbit}k",
        f"-g:{stream}",
        gop,
        f"-keyint_min:{stream}",
        gop,
    ]


def x264_args(rendition: VideoRendition, settings: EncoderSettings, stream: str = "v") -> list[str]:
    """libx264 in capped VBR with closed, fixed GOPs aligned to the segment grid."""
    return [
        f"-c:{stream}",
        "libx264",
        f"-preset:{stream}",
        settings.preset,
        f"-profile:{stream}",
        rendition.rung.profile.value,
        f"-level:{stream}",
        rendition.level,
        *_capped_vbr(rendition, stream),
        f"-sc_threshold:{stream}",
        "0",
        f"-flags:{stream}",
        "+cgop",
        f"-threads:{stream}",
        str(settings.threads),
    ]


def encode_chunk(
    source: Path,
    norm: Normalization,
    chunk: Chunk,
    rendition: VideoRendition,
    out_path: Path,
    *,
    settings: EncoderSettings | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> EncodedFile:
    """Encode one chunk of one rendition into an MP4 at `out_path` (timestamps from zero)."""
    (encoded,) = encode_chunk_renditions(
        source,
        norm,
        chunk,
        [rendition],
        [out_path],
        settings=settings,
        control=control,
    )
    return encoded


def encode_chunk_renditions(
    source: Path,
    norm: Normalization,
    chunk: Chunk,
    renditions: Sequence[VideoRendition],
    out_paths: Sequence[Path],
    *,
    settings: EncoderSettings | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> tuple[EncodedFile, ...]:
    """Encode one chunk of several renditions with a single decode (one ffmpeg, N outputs).

    Same output files as N `encode_chunk` calls; cheaper when decoding the source is a large part
    of the cost (a 1080p master feeding small rungs). The orchestrator picks the grouping.
    """
    settings = settings or EncoderSettings()
    args = chunk_command(source, norm, chunk, renditions, out_paths, settings)
    run = control.run(args)
    return tuple(EncodedFile(p, p.stat().st_size, run.elapsed_s) for p in out_paths)


def audio_command(
    source: Path, info: SourceInfo, duration_s: float, rung: AudioRung, out_path: Path
) -> list[str]:
    """AAC-LC stereo for the whole title, padded or cut to the video's exact duration.

    A source without audio gets a silent track, so every title has the same shape for players.
    """
    stream = rung.stream if info.audio is not None else 0
    return [
        *audio_input_args(source, info, rung),
        "-map",
        f"0:a:{stream}",
        # The language in the track header (mdhd), for players and tools reading the files.
        "-metadata:s:a:0",
        f"language={iso639_2(rung.language)}",
        *audio_output_args(duration_s, rung, out_path),
    ]


def audio_duration(video_duration_s: float, rung: AudioRung) -> float:
    """Input seconds of audio to encode so the AAC track, priming frame and final partial frame
    included, never outruns the video: otherwise packaging adds a sliver of a last segment."""
    frame_s = _AAC_FRAME_SAMPLES / rung.sample_rate
    frames = int(video_duration_s / frame_s) - 1
    return max(frame_s, frames * frame_s - 1e-6)


def audio_input_args(source: Path, info: SourceInfo, rung: AudioRung) -> list[str]:
    if info.audio is None:
        return ["-f", "lavfi", "-i", f"anullsrc=r={rung.sample_rate}:cl=stereo"]
    return ["-i", str(source)]


def audio_output_args(duration_s: float, rung: AudioRung, out_path: Path) -> list[str]:
    return [
        "-vn",
        "-sn",
        "-dn",
        "-af",
        # async: a frame whose timestamp goes back (the audio of two joined recordings
        # overlaps at the join) is trimmed, not sent to the encoder, which -xerror would fail.
        "aresample=async=1,apad",
        "-t",
        f"{duration_s:.6f}",
        "-c:a",
        "aac",
        "-b:a",
        f"{rung.bitrate_kbps}k",
        "-ac",
        str(rung.channels),
        "-ar",
        str(rung.sample_rate),
        "-f",
        "mp4",
        str(out_path),
    ]


def encode_audio(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    rung: AudioRung,
    out_path: Path,
    *,
    control: RunControl = DEFAULT_CONTROL,
) -> EncodedFile:
    """Encode the audio rendition of the whole title (cheap enough not to chunk)."""
    duration = audio_duration(norm.time_of(total_frames(info, norm)), rung)
    # -xerror: damaged audio fails the run (media.integrity says where) instead of a glitch.
    args = ["-xerror", *audio_command(source, info, duration, rung, out_path)]
    run = control.run(args)
    return EncodedFile(out_path, out_path.stat().st_size, run.elapsed_s)


def plain_ffmpeg_ladder_command(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    ladder: ResolvedLadder,
    out_dir: Path,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """One ffmpeg (after the runner's global options) encoding the whole ladder: the benchmark
    anchor. Same filters and encoder settings as the chunked path; decodes the source once."""
    settings = settings or EncoderSettings()
    count = len(ladder.video)
    labels = [f"[s{i}]" for i in range(count)]
    graph = [",".join(picture_filters(norm)) + f",split={count}" + "".join(labels)]
    for i, rendition in enumerate(ladder.video):
        scale = ",".join(output_filters(rendition.width, rendition.height))
        graph.append(f"{labels[i]}{scale}[v{i}]")
    whole = Chunk(0, 0, total_frames(info, norm), 0.0, info.duration_s)
    force = ",".join(f"{t:.6f}" for t in keyframe_times(whole, norm, settings.segment_s))
    args = ["-i", str(source), "-filter_complex", ";".join(graph)]
    for i, rendition in enumerate(ladder.video):
        args += ["-map", f"[v{i}]", "-an", *video_codec_args(rendition, settings)]
        args += ["-force_key_frames", force, "-f", "mp4", str(out_dir / f"{rendition.name}.mp4")]
    audio_map = "0:a:0"
    if info.audio is None:
        args = [*args[:2], *audio_input_args(source, info, ladder.audio), *args[2:]]
        audio_map = "1:a:0"
    audio_out = out_dir / f"{ladder.audio.name}.mp4"
    duration = audio_duration(norm.time_of(whole.end_frame), rung=ladder.audio)
    return [*args, "-map", audio_map, *audio_output_args(duration, ladder.audio, audio_out)]
