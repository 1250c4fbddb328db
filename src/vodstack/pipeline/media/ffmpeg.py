"""The owned ffmpeg subprocess: progress from `-progress pipe:1`, cancel, timeout, stderr tail.

Every ffmpeg process the pipeline starts goes through `FfmpegRunner.run`, which keeps the
`Popen` handle until the process is gone: a set cancel token or a passed deadline terminates it
(SIGTERM, then SIGKILL after a grace period), and a failure raises `EncodeFailed` carrying the
last lines of stderr. Arguments are a list; nothing is ever passed through a shell.
The child also dies with its owner when that is killed outright (core.processes): `run` blocks
the thread that started ffmpeg until ffmpeg is gone, so the parent-death signal, which follows
that thread, can only fire once the owner itself is dead.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import IO, Protocol

import imageio_ffmpeg

from vodstack.core.processes import child_dies_with_us
from vodstack.pipeline.media.errors import EncodeCancelled, EncodeFailed, EncodeTimeout

_POLL_S = 0.05
_TERMINATE_GRACE_S = 3.0


class CancelToken(Protocol):
    """Anything with `is_set()`: `threading.Event`, `multiprocessing.Event`, a test fake."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Progress:
    """One `-progress` report: how far the output has got, in seconds of media."""

    out_time_s: float
    done: bool
    speed: float | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class FfmpegRun:
    """A finished, successful ffmpeg run."""

    args: tuple[str, ...]
    elapsed_s: float
    stderr_tail: str


def ffmpeg_exe() -> str:
    """Path of the bundled static ffmpeg (the `imageio-ffmpeg` wheel)."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


class FfmpegRunner:
    """Runs ffmpeg commands as owned child processes. Stateless apart from its configuration."""

    def __init__(
        self,
        exe: str | None = None,
        *,
        timeout_s: float | None = None,
        loglevel: str = "warning",
        stderr_tail_lines: int = 30,
        niceness: int = 0,
    ) -> None:
        self.exe = exe or ffmpeg_exe()
        # Added to the child's nice value: background work yields the CPU to urgent work.
        self.niceness = niceness
        self.timeout_s = timeout_s
        self.loglevel = loglevel
        self.stderr_tail_lines = stderr_tail_lines

    def command(self, args: Sequence[str]) -> list[str]:
        """The full argv for `args`: our fixed global options first."""
        return [
            self.exe,
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            self.loglevel,
            "-progress",
            "pipe:1",
            "-nostats",
            *args,
        ]

    def run(
        self,
        args: Sequence[str],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        timeout_s: float | None = None,
    ) -> FfmpegRun:
        """Run ffmpeg with `args`; block until it exits. Progress callbacks run in this thread.

        Raises `EncodeCancelled`, `EncodeTimeout` or `EncodeFailed`.
        """
        argv = self.command(args)
        deadline_s = timeout_s if timeout_s is not None else self.timeout_s
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                # Dies with this process (core.processes), at the runner's CPU priority.
                preexec_fn=child_dies_with_us(self.niceness),
            )
        except OSError as exc:
            raise EncodeFailed(f"cannot start ffmpeg: {exc}", args=argv) from exc
        with _Owned(proc, self.stderr_tail_lines) as owned:
            outcome = owned.supervise(progress, cancel, started, deadline_s)
            tail = owned.stderr_tail()
        elapsed = time.monotonic() - started
        if outcome is _Outcome.CANCELLED:
            raise EncodeCancelled("ffmpeg was cancelled")
        if outcome is _Outcome.TIMED_OUT:
            raise EncodeTimeout(
                f"ffmpeg timed out after {deadline_s:.0f} s", args=argv, stderr_tail=tail
            )
        if proc.returncode != 0:
            raise EncodeFailed(
                f"ffmpeg exited with status {proc.returncode}",
                args=argv,
                returncode=proc.returncode,
                stderr_tail=tail,
            )
        return FfmpegRun(args=tuple(argv), elapsed_s=elapsed, stderr_tail=tail)


@dataclass(frozen=True, slots=True)
class RunControl:
    """How one piece of ffmpeg work is run and steered, passed as one argument.

    The runner (its binary and default timeout), the cancel token, the progress callback and a
    timeout overriding the runner's: the same four concerns for every media function, so each
    function's signature shows only what differs (its inputs and outputs). Functions that start
    several ffmpeg runs apply the same control to each.
    """

    runner: FfmpegRunner | None = None
    cancel: CancelToken | None = None
    progress: ProgressCallback | None = None
    timeout_s: float | None = None

    def run(self, args: Sequence[str]) -> FfmpegRun:
        runner = self.runner or FfmpegRunner()
        return runner.run(
            args, progress=self.progress, cancel=self.cancel, timeout_s=self.timeout_s
        )


#: No cancel token, no progress, the runner's own timeout: what a plain call gets.
DEFAULT_CONTROL = RunControl()


class _Outcome(Enum):
    EXITED = "exited"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class _Owned:
    """Owns one Popen: pumps its pipes on two threads, stops it on cancel/timeout/exit."""

    def __init__(self, proc: subprocess.Popen[bytes], tail_lines: int) -> None:
        self.proc = proc
        self.reports: queue.SimpleQueue[Progress] = queue.SimpleQueue()
        self.tail: deque[str] = deque(maxlen=tail_lines)
        assert proc.stdout is not None and proc.stderr is not None
        self.threads = [
            threading.Thread(target=self._pump_progress, args=(proc.stdout,), daemon=True),
            threading.Thread(target=self._pump_stderr, args=(proc.stderr,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def __enter__(self) -> _Owned:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Whatever happened in between (even KeyboardInterrupt), the child does not outlive us.
        if self.proc.poll() is None:
            self.stop()
        self._join_pumps()
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def supervise(
        self,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        started: float,
        deadline_s: float | None,
    ) -> _Outcome:
        while True:
            exited = self._wait(_POLL_S)
            if exited:
                # The pipes may still hold the last reports (progress=end): drain them first.
                self._join_pumps()
            self._deliver(progress)
            if exited:
                return _Outcome.EXITED
            if cancel is not None and cancel.is_set():
                self.stop()
                return _Outcome.CANCELLED
            if deadline_s is not None and time.monotonic() - started > deadline_s:
                self.stop()
                return _Outcome.TIMED_OUT

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=_TERMINATE_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stderr_tail(self) -> str:
        self._join_pumps()
        return "\n".join(self.tail)

    def _join_pumps(self) -> None:
        for thread in self.threads:
            thread.join(timeout=_TERMINATE_GRACE_S)

    def _wait(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _deliver(self, progress: ProgressCallback | None) -> None:
        while not self.reports.empty():
            report = self.reports.get_nowait()
            if progress is not None:
                progress(report)

    def _pump_progress(self, stream: IO[bytes]) -> None:
        for report in parse_progress(line.decode("utf-8", "replace") for line in stream):
            self.reports.put(report)

    def _pump_stderr(self, stream: IO[bytes]) -> None:
        for line in stream:
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self.tail.append(text)


def parse_progress(lines: Iterable[str]) -> Iterable[Progress]:
    """Turn ffmpeg's `key=value` progress blocks into `Progress` reports (one per block)."""
    out_time_s = 0.0
    speed: float | None = None
    for raw in lines:
        key, _, value = raw.strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            out_time_s = max(0.0, int(value) / 1_000_000)
        elif key == "speed":
            speed = _parse_speed(value)
        elif key == "progress":
            yield Progress(out_time_s=out_time_s, done=value == "end", speed=speed)


def _parse_speed(value: str) -> float | None:
    try:
        return float(value.rstrip("x"))
    except ValueError:
        return None
