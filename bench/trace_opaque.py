"""A trace with the same requests but ids that carry no structure: what a hidden trace may be.

    .venv/bin/python bench/trace_opaque.py IN.csv.gz OUT.csv.gz [--ids hash|number|file|keep]
                                           [--no-region]

Timestamps, sizes and (unless `--no-region`) regions are copied line for line; only the ids
change, each to a stable stand-in (the same id always becomes the same one):

- `hash`: 16 hex digits of the id's SHA-1 (`3fa9c1e2...`): no title, rendition or position;
- `number`: the id's order of first appearance (`1`, `2`, ...);
- `file`: `media/<hash>.mp4`, a whole file under one directory, the shape of a web cache's
  log: a parser reading "title/..." would take `media` for everyone's title;
- `keep`: the ids unchanged (with `--no-region`: the structured trace without its regions).

The planner's gains on `vodstack cache generate` traces may lean on its ids
(`title/rendition/segment_N`, control/objects.py); the issue's hidden VOD traces need not name
anything. Gzip in and out by the names' `.gz`.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from vodstack.cdn.cache.trace import open_text, write_lines


def _renamer(kind: str) -> Callable[[str], str]:
    if kind == "keep":
        return lambda object_id: object_id
    if kind == "number":
        numbers: dict[str, str] = {}
        return lambda object_id: numbers.setdefault(object_id, str(len(numbers) + 1))

    def hashed(object_id: str) -> str:
        return hashlib.sha1(object_id.encode()).hexdigest()[:16]  # noqa: S324 (a stand-in)

    if kind == "hash":
        return hashed
    return lambda object_id: f"media/{hashed(object_id)}.mp4"


def _lines(source: Path, rename: Callable[[str], str], region: bool) -> Iterator[str]:
    memo: dict[str, str] = {}
    with open_text(source) as lines:
        for line in lines:
            parts = line.rstrip("\r\n").split(",")
            if len(parts) < 3:
                continue
            try:
                float(parts[0])
            except ValueError:
                continue  # a header
            object_id = parts[1]
            new = memo.get(object_id)
            if new is None:
                new = memo[object_id] = rename(object_id)
            kept = parts[3:4] if region else []
            yield ",".join([parts[0], new, parts[2], *kept]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--ids", choices=("hash", "number", "file", "keep"), default="hash")
    parser.add_argument("--no-region", action="store_true", help="Drop the region column.")
    args = parser.parse_args()
    count = write_lines(args.out, _lines(args.source, _renamer(args.ids), not args.no_region))
    print(f"{args.out}: {count:,} requests")


if __name__ == "__main__":
    main()
