"""Per-request context (the request id) carried through logs and outgoing calls."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

from vodstack.core.batched_log import LoopBatchedHandler

REQUEST_ID_HEADER = "x-request-id"
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_ids = random.Random()  # noqa: S311 (an id for tracing, not a secret)


def new_request_id() -> str:
    # 16 hex digits, as before; not secret (it is echoed in every answer and log line), so
    # the Mersenne Twister rather than a system call for os.urandom on every request.
    return f"{_ids.getrandbits(64):016x}"


def request_id_of(scope: MutableMapping[str, Any]) -> str:
    """The caller's request id (its `x-request-id`, cut to 64 characters), or a new one."""
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            incoming: str = value.decode("latin-1")[:64]
            if incoming:
                return incoming
            break
    return new_request_id()


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
        return self.stamp(record.created)

    def stamp(self, created: float) -> str:
        """`asctime` of a record created at `created` (`time.time()`)."""
        second = int(created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(created))
            self._second = second
        # LogRecord's own msecs arithmetic, so the text matches a record's to the millisecond.
        return f"{self._text},{int((created - second) * 1000):03d}"


class ServiceLog:
    """The handler `configure_logging` installed, able to take a line without a LogRecord.

    A record costs more to build and dispatch than to format (core.access_line): when this
    handler is the only one a logger's records reach, a caller can give it the very text the
    record would have become.
    """

    def __init__(self, handler: LoopBatchedHandler, fmt: str) -> None:
        self._handler = handler
        self._filters = list(handler.filters)
        formatter = handler.formatter
        assert isinstance(formatter, _SecondFormatter)
        self._formatter = formatter
        # The format's literal text around its fields, found by formatting marks: a line is
        # then one join, not a dictionary and a %-format (half a line's cost).
        marks = {k: f"\x00{k}\x00" for k in ("asctime", "request_id", "name", "message")}
        parts = (fmt % {**marks, "levelname": "INFO"}).split("\x00")
        assert parts[1::2] == list(marks), f"unexpected log format {fmt!r}"
        self._literals = (*parts[0::2][:-1], parts[-1] + handler.terminator)

    def alone_for(self, logger: logging.Logger) -> bool:
        """Whether this handler, as configured, is all that `logger`'s INFO records reach."""
        node: logging.Logger | None = logger
        while node is not None and node is not logging.root:
            if node.handlers or node.filters or not node.propagate:
                return False
            node = node.parent
        root = logging.root
        handler = self._handler
        return (
            root.handlers == [handler]
            and not root.filters
            and handler.level <= logging.INFO
            and handler.filters == self._filters
            and handler.formatter is self._formatter
        )

    def access(self, logger: logging.Logger, created: float, *line: Any) -> None:
        """The access line (core.access_line) `line` = (request id, method, route, status,
        milliseconds) of `logger`, answered at `created`, as its record would read. Its text is
        made when the line is written, at the end of the loop iteration (core.batched_log):
        the request pays for a tuple."""
        with self._handler.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            self._handler.emit_line((self._access_text, (created, logger.name, *line)))

    def _access_text(
        self, created: float, name: str, rid: str, method: str, route: str, status: int, ms: float
    ) -> str:
        # The access line's message, "%s %s %d %.1fms" % (method, route, status, ms), in the
        # same f-string as the rest of the line (test_access_line holds the two texts equal).
        a, b, c, d, end = self._literals
        stamp = self._formatter.stamp(created)
        return f"{a}{stamp}{b}{rid}{c}{name}{d}{method} {route} {status} {ms:.1f}ms{end}"


_service_log: ServiceLog | None = None


def service_log() -> ServiceLog | None:
    """The handler `configure_logging` installed in this process (None before it ran)."""
    return _service_log


def configure_logging(service: str, level: str = "info") -> None:
    """Log lines on stderr (the supervisor writes them to var/logs/{service}.log)."""
    global _service_log
    handler = LoopBatchedHandler()  # stderr; lines of one loop iteration in one write
    handler.addFilter(RequestIdFilter())
    fmt = f"%(asctime)s %(levelname)s {service} [%(request_id)s] %(name)s: %(message)s"
    handler.setFormatter(_SecondFormatter(fmt))
    # The format prints none of these, and every record (one per request: the access line)
    # would look them up: the thread, the process and the multiprocessing name.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    _service_log = ServiceLog(handler, fmt)
