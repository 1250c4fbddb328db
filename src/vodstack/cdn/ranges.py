"""Single byte ranges (RFC 9110 §14). Multi-range requests get the whole object instead."""

from __future__ import annotations

from vodstack.cdn.errors import RangeNotSatisfiable


def parse_range(header: bytes, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a satisfiable single range; None to answer with the full body.

    A syntactically odd or multi-range header is ignored (allowed by the RFC); a well-formed
    range that starts past the end raises RangeNotSatisfiable.
    """
    unit, _, spec = header.partition(b"=")
    if unit.strip().lower() != b"bytes" or b"," in spec:
        return None
    first_raw, dash, last_raw = spec.strip().partition(b"-")
    if not dash:
        return None
    try:
        if not first_raw:
            suffix = int(last_raw)
            if suffix <= 0:
                raise RangeNotSatisfiable(size)
            return max(0, size - suffix), size - 1
        first = int(first_raw)
        last = int(last_raw) if last_raw else size - 1
    except ValueError:
        return None
    if first >= size:
        raise RangeNotSatisfiable(size)
    if first < 0 or last < first:
        return None
    return first, min(last, size - 1)
