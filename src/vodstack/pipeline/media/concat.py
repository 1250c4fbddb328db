"""Join one rendition's encoded chunks into a single MP4 without re-encoding.

The concat demuxer places each chunk after the previous one's duration; because every chunk
holds an exact frame range of the grid (see `encode`), the joined file's timestamps are the
grid's. The list file is written next to the output and names chunks by absolute path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vodstack.pipeline.media.encode import EncodedFile
from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl


def concat_list(chunks: Sequence[Path]) -> str:
    """The concat demuxer script for `chunks`, quoting paths the way the demuxer expects."""
    lines = ["ffconcat version 1.0"]
    for path in chunks:
        quoted = str(path.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def concat_chunks(
    chunks: Sequence[Path],
    out_path: Path,
    *,
    control: RunControl = DEFAULT_CONTROL,
) -> EncodedFile:
    """Join `chunks` (in order) into `out_path` with `-c copy`."""
    if not chunks:
        raise EncodeFailed("nothing to concatenate: no chunks given")
    list_path = out_path.with_name(out_path.name + ".ffconcat")
    list_path.write_text(concat_list(chunks), encoding="utf-8")
    args = [
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(list_path),
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "mp4",
        str(out_path),
    ]
    try:
        run = control.run(args)
    finally:
        list_path.unlink(missing_ok=True)
    return EncodedFile(out_path, out_path.stat().st_size, run.elapsed_s)
