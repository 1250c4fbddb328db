"""The `SearchIndex` contract, run over every implementation: SQLite FTS5, PostgreSQL tsvector."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support.postgres import throwaway_database
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.services.catalog.search import (
    MAX_TERMS,
    Fts5Index,
    SearchDocument,
    SearchIndex,
    TsvectorIndex,
    folded,
    fts5_match_expression,
    query_terms,
    tsquery_expression,
)


@contextmanager
def _fts5(tmp_path: Path) -> Iterator[tuple[SearchIndex, str]]:
    yield Fts5Index(), f"sqlite:///{tmp_path / 'search.sqlite'}"


@contextmanager
def _tsvector(tmp_path: Path) -> Iterator[tuple[SearchIndex, str]]:
    with throwaway_database() as url:
        yield TsvectorIndex(), url


@pytest.fixture(
    params=[_fts5, pytest.param(_tsvector, marks=pytest.mark.postgres)], ids=["fts5", "tsvector"]
)
def indexed(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[SearchIndex, Session]]:
    with request.param(tmp_path) as (index, url):
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            index.create(session)
            index.create(session)  # idempotent
            yield index, session
        engine.dispose()


def _doc(
    title_id: int,
    name: str,
    rank: int = 2,
    cast: Sequence[str] = (),
    genres: Sequence[str] = (),
    synopsis: str = "",
) -> SearchDocument:
    return SearchDocument(title_id, name, cast, genres, synopsis, maturity_rank=rank)


def test_put_then_search_by_prefix(indexed: tuple[SearchIndex, Session]) -> None:
    index, session = indexed
    index.put(session, _doc(1, "Stranger Tides"))
    index.put(session, _doc(2, "Quiet Fields"))

    assert index.search(session, "stra", 2, 10) == [1]
    assert index.search(session, "fie qui", 2, 10) == [2]
    assert index.size(session) == 2


def test_put_replaces_the_document(indexed: tuple[SearchIndex, Session]) -> None:
    index, session = indexed
    index.put(session, _doc(1, "Old Name"))
    index.put(session, _doc(1, "New Name"))

    assert index.search(session, "old", 2, 10) == []
    assert index.search(session, "new", 2, 10) == [1]
    assert index.size(session) == 1


def test_remove_forgets_and_tolerates_unknown_ids(indexed: tuple[SearchIndex, Session]) -> None:
    index, session = indexed
    index.put(session, _doc(1, "Gone Soon"))
    index.remove(session, 1)
    index.remove(session, 42)

    assert index.search(session, "gone", 2, 10) == []
    assert index.size(session) == 0


def test_maturity_rank_filters(indexed: tuple[SearchIndex, Session]) -> None:
    index, session = indexed
    for rank in (0, 1, 2):
        index.put(session, _doc(rank + 1, f"Lantern {rank}", rank=rank))

    assert sorted(index.search(session, "lantern", 0, 10)) == [1]
    assert sorted(index.search(session, "lantern", 1, 10)) == [1, 2]
    assert sorted(index.search(session, "lantern", 2, 10)) == [1, 2, 3]


def test_ranking_name_then_cast_then_genre_then_synopsis(
    indexed: tuple[SearchIndex, Session],
) -> None:
    index, session = indexed
    index.put(session, _doc(1, "Alpha", synopsis="A heron wades."))
    index.put(session, _doc(2, "Beta", genres=["Heron Studies"]))
    index.put(session, _doc(3, "Gamma", cast=["Heronimo Diaz"]))
    index.put(session, _doc(4, "Heron Lake"))

    assert index.search(session, "hero", 2, 10) == [4, 3, 2, 1]


def test_limit_and_rebuild(indexed: tuple[SearchIndex, Session]) -> None:
    index, session = indexed
    index.put(session, _doc(99, "Stale Entry"))

    index.rebuild(session, [_doc(n, f"Echo {n}") for n in range(1, 6)])

    assert index.size(session) == 5
    assert index.search(session, "stale", 2, 10) == []
    assert len(index.search(session, "echo", 2, 3)) == 3


@pytest.mark.parametrize("query", ["", "   ", '"', "AND", "NEAR(", "*", "((", "🎬", "x" * 100])
def test_junk_queries_return_nothing(indexed: tuple[SearchIndex, Session], query: str) -> None:
    index, session = indexed
    index.put(session, _doc(1, "Harbor Lights", synopsis="Gulls circle the pier."))

    assert index.search(session, query, 2, 10) == []


def test_query_terms_keep_only_words() -> None:
    assert query_terms('  "Stra" (tides) AND* ') == ["Stra", "tides", "AND"]
    assert query_terms("") == []
    assert len(query_terms("w " * 50)) == MAX_TERMS


def test_fts5_expression_quotes_every_term_as_a_prefix() -> None:
    assert fts5_match_expression('NEAR(stra "tides"') == '"NEAR"* "stra"* "tides"*'
    assert fts5_match_expression("*()") is None


def test_tsquery_expression_quotes_every_folded_term_as_a_prefix() -> None:
    assert tsquery_expression("Café & !tides") == "'cafe':* & 'tides':*"
    assert tsquery_expression("*()!&|") is None
    assert folded("ÉCOLE Crème") == "ecole creme"
