"""Per-request context (the request id) carried through logs and outgoing calls."""

from __future__ import annotations

import logging
import random
from contextvars import ContextVar

from vodstack.core.batched_log import LoopBatchedHandler

REQUEST_ID_HEADER = "x-request-id"
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_ids = random.Random()  # noqa: S311 (an id for tracing, not a secret)


def new_request_id() -> str:
    # 16 hex digits, as before; not secret (it is echoed in every answer and log line), so
    # the Mersenne Twister rather than a system call for os.urandom on every request.
    return f"{_ids.getrandbits(64):016x}"


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record so the formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class _SecondFormatter(logging.Formatter):
    """`logging.Formatter` with the date and time formatted once a second, not once a line
    (`localtime` and `strftime` were a sixth of an access line's cost); the same text."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._text = super().formatTime(record).rpartition(",")[0]
            self._second = second
        return f"{self._text},{int(record.msecs):03d}"


def configure_logging(service: str, level: str = "info") -> None:
    """Log lines on stderr (the supervisor writes them to var/logs/{service}.log)."""
    handler = LoopBatchedHandler()  # stderr; lines of one loop iteration in one write
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        _SecondFormatter(
            f"%(asctime)s %(levelname)s {service} [%(request_id)s] %(name)s: %(message)s"
        )
    )
    # The format prints none of these, and every record (one per request: the access line)
    # would look them up: the thread, the process and the multiprocessing name.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
