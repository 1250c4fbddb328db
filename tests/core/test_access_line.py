"""The access line written straight to the services' handler reads exactly as the logging
record would have; with anyone else listening, the record is what they get."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from vodstack.core import context
from vodstack.core.access_line import access_log, log_access
from vodstack.core.context import configure_logging, request_id_var

NOW = 1_765_000_000.0427  # a time whose milliseconds LogRecord and the direct line both cut


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """configure_logging as a service process runs it, writing to a buffer; undone after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(context, "_service_log", None)
    monkeypatch.setattr("time.time", lambda: NOW)
    configure_logging("catalog-1")
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def _only_ours() -> context.ServiceLog:
    """pytest's own log capture listens on the root logger too: for these tests, it does not."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if type(h).__name__ == "LoopBatchedHandler"]
    service_log = context.service_log()
    assert service_log is not None
    return service_log


def _line(rid: str) -> None:
    token = request_id_var.set(rid)
    try:
        log_access("GET", "/v1/titles", 200, 0.00123)
    finally:
        request_id_var.reset(token)


def test_the_direct_line_is_the_records_text(configured: io.StringIO) -> None:
    service_log = _only_ours()
    assert service_log.alone_for(access_log)
    _line("abc")  # off the loop: written at once, directly
    direct = configured.getvalue()
    other = logging.NullHandler()  # someone else listening: the line goes out as a record
    access_log.addHandler(other)
    try:
        assert not service_log.alone_for(access_log)
        _line("abc")
    finally:
        access_log.removeHandler(other)
    as_record = configured.getvalue()[len(direct) :]
    assert direct == as_record
    assert direct.endswith(" INFO catalog-1 [abc] vodstack.access: GET /v1/titles 200 1.2ms\n")
    assert direct.startswith(
        logging.Formatter().formatTime(logging.makeLogRecord({"created": NOW, "msecs": 42}))
    )


def test_a_filter_or_a_level_on_the_way_turns_the_direct_line_off(
    configured: io.StringIO,
) -> None:
    service_log = _only_ours()
    handler = logging.getLogger().handlers[0]
    handler.setLevel(logging.WARNING)
    assert not service_log.alone_for(access_log)
    _line("abc")
    assert configured.getvalue() == ""  # the handler's own level still decides
    handler.setLevel(logging.NOTSET)
    access_log.propagate = False
    try:
        assert not service_log.alone_for(access_log)
    finally:
        access_log.propagate = True
    assert service_log.alone_for(access_log)
