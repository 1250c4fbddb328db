"""The access line of one request: `METHOD ROUTE STATUS 1.2ms` at INFO on `vodstack.access`.

Every request writes one, so its cost is paid as often as the app's: as a logging record it
cost 6-8 µs of a cached read's 25 (building the `LogRecord`, the logger's and handler's
dispatch, the formatter reading the record's dictionary). When the services' own handler
(core.context.configure_logging) is all the line would reach, it is given the line's parts
directly, and the text is made when the line is written, once per loop iteration for all of
its lines (core.batched_log): the same text, and a request pays for a tuple. Anyone else
listening (a test's caplog, a handler added at run time, a filter) gets the record, exactly as
before.
"""

from __future__ import annotations

import logging
import time

from vodstack.core.context import request_id_var, service_log

access_log = logging.getLogger("vodstack.access")
_MESSAGE = "%s %s %d %.1fms"


def log_access(
    method: str, route: str, status: int, elapsed: float, request_id: str | None = None
) -> None:
    """The access line of one request (`route` is the template, never the raw path), for
    `request_id` (default: the current request's)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    direct = service_log()
    if direct is not None and direct.alone_for(access_log):
        rid = request_id_var.get() if request_id is None else request_id
        direct.access(access_log, time.time(), rid, method, route, status, elapsed * 1000)
        return
    args = (method, route, status, elapsed * 1000)
    # Handed to the logger directly: `Logger.info` first walks the stack to find the caller's
    # file and line (a third of the record's cost), which the format never prints.
    record = logging.LogRecord(access_log.name, logging.INFO, __file__, 0, _MESSAGE, args, None)
    if request_id is None:
        access_log.handle(record)
        return
    token = request_id_var.set(request_id)  # what RequestIdFilter gives the record
    try:
        access_log.handle(record)
    finally:
        request_id_var.reset(token)
