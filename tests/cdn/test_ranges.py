from __future__ import annotations

import pytest

from vodstack.cdn.errors import RangeNotSatisfiable
from vodstack.cdn.ranges import parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"bytes=0-99", (0, 99)),
        (b"bytes=100-", (100, 999)),
        (b"bytes=-100", (900, 999)),
        (b"bytes=-5000", (0, 999)),
        (b"bytes=990-5000", (990, 999)),
        (b"bytes=0-0", (0, 0)),
        (b"bytes=0-1,5-6", None),  # multi-range: whole body
        (b"items=0-1", None),
        (b"bytes=abc", None),
        (b"bytes=5-1", None),
    ],
)
def test_ranges(header: bytes, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", [b"bytes=1000-", b"bytes=5000-6000", b"bytes=-0"])
def test_unsatisfiable_ranges(header: bytes) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)
