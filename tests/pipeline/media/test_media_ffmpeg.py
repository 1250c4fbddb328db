"""The owned ffmpeg runner: progress, cancel, timeout, failures with the stderr tail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from vodstack.pipeline.media import (
    EncodeCancelled,
    EncodeFailed,
    EncodeTimeout,
    FfmpegRunner,
    Progress,
)
from vodstack.pipeline.media.ffmpeg import parse_progress

_ENDLESS = ["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=25", "-f", "null", "-"]


def test_parse_progress_blocks() -> None:
    lines = ["frame=10", "out_time_us=400000", "speed=2.5x", "progress=continue"]
    lines += ["out_time_us=N/A", "out_time_us=1000000", "speed=N/A", "progress=end"]
    assert list(parse_progress(lines)) == [
        Progress(out_time_s=0.4, done=False, speed=2.5),
        Progress(out_time_s=1.0, done=True, speed=None),
    ]


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    reports: list[Progress] = []
    FfmpegRunner().run(
        ["-f", "lavfi", "-i", "testsrc2=s=64x64:r=25:d=2", "-f", "null", "-"],
        progress=reports.append,
    )
    assert reports and reports[-1].done
    assert reports[-1].out_time_s == pytest.approx(2.0, abs=0.05)


def test_cancel_terminates_the_process() -> None:
    cancel = threading.Event()
    started = time.monotonic()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    with pytest.raises(EncodeCancelled):
        FfmpegRunner().run(_ENDLESS, cancel=cancel, timeout_s=30)
    assert time.monotonic() - started < 5


def test_timeout_terminates_the_process() -> None:
    started = time.monotonic()
    with pytest.raises(EncodeTimeout) as caught:
        FfmpegRunner().run(_ENDLESS, timeout_s=0.5)
    assert isinstance(caught.value, EncodeFailed)
    assert time.monotonic() - started < 5


def test_failure_carries_the_stderr_tail(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    with pytest.raises(EncodeFailed) as caught:
        FfmpegRunner().run(["-i", str(missing), "-f", "null", "-"])
    assert caught.value.returncode not in (None, 0)
    assert "No such file" in caught.value.stderr_tail
    assert "No such file" in str(caught.value)


def test_arguments_are_never_shell_interpreted(tmp_path: Path) -> None:
    odd = tmp_path / "a name; with $(shell) 'quotes'.mp4"
    FfmpegRunner().run(["-f", "lavfi", "-i", "testsrc2=s=64x64:d=0.2", str(odd)])
    assert odd.is_file()
