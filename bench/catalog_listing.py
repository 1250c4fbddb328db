"""The catalog's listing with episodes kept out (issue 14) vs the listing before (the anchor).

Episodes are title rows of their own, so every listing now also says `kind != 'episode'`. This
fills one catalog (SQLite, the production backend) with series and their episodes, then times
both statements on the same database in interleaved rounds:

    .venv/bin/python bench/catalog_listing.py [--series 400] [--episodes 10] [--rounds 7]

Prints the median and spread of each over the rounds and the ratio (new / anchor).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import load_settings
from vodstack.contracts.catalog import Episode, Season, TitleCreate, TitleKind, TitleSort
from vodstack.contracts.common import Maturity
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.services.catalog import repository
from vodstack.services.catalog.app import migrate, search_index_for
from vodstack.services.catalog.models import TitleRow
from vodstack.services.catalog.repository import TitleFilter
from vodstack.services.catalog.service import CatalogService

QUERIES_PER_ROUND = 400


def _fill(service: CatalogService, series: int, episodes: int) -> None:
    for n in range(series):
        seasons = [
            Season(
                number=1, episodes=[Episode(number=e + 1, name=f"E{e}") for e in range(episodes)]
            )
        ]
        body = TitleCreate(
            name=f"Series {n}", kind=TitleKind.SERIES, year=2000 + n % 25,
            maturity=Maturity.TEEN, genres=["Drama"], seasons=seasons,
        )  # fmt: skip
        service.create(body)


_RANK = TitleRow.maturity_rank <= bindparam("rank")
# The listing's statements as they were: the same count, columns, order and genre query, without
# the episode predicate.
_ANCHOR_COUNT = select(func.count()).select_from(TitleRow).where(_RANK)
_ANCHOR_PAGE = (
    select(*repository._SUMMARY_COLUMNS)
    .where(_RANK)
    .order_by(TitleRow.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def _anchor_page(session: Session) -> None:
    params = {"rank": 2, "limit": 20, "offset": 0}
    connection = session.connection()
    connection.execute(_ANCHOR_COUNT, params).scalar_one()
    rows = connection.execute(_ANCHOR_PAGE, params).all()
    repository.genre_names(session, [row[0] for row in rows])


def _new_page(session: Session) -> None:
    where = TitleFilter(max_maturity_rank=2, published_only=False)
    repository.page(session, where, TitleSort.NEW, 20, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=400)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = with_secrets(load_settings(data_dir=Path(tmp)))
        engine = make_engine(settings.database_url("catalog"))
        migrate(engine)
        sessions = make_sessionmaker(engine)
        service = CatalogService(sessions, search_index_for(engine))
        service.prepare()
        _fill(service, args.series, args.episodes)
        timings: dict[str, list[float]] = {"anchor": [], "new": []}
        with sessions() as session:
            for _ in range(args.rounds):
                for name, run in (("anchor", _anchor_page), ("new", _new_page)):
                    started = time.perf_counter()
                    for _ in range(QUERIES_PER_ROUND):
                        run(session)
                    timings[name].append((time.perf_counter() - started) / QUERIES_PER_ROUND)
        engine.dispose()
    for name, values in timings.items():
        spread = max(values) - min(values)
        median = statistics.median(values) * 1e6
        print(f"{name:6} median {median:7.1f} us/listing, spread {spread * 1e6:.1f} us")
    ratio = statistics.median(timings["new"]) / statistics.median(timings["anchor"])
    print(f"ratio new/anchor {ratio:.2f} ({args.series} series x {args.episodes} episodes)")


if __name__ == "__main__":
    main()
