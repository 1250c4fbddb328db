"""Full-text search over titles, behind a small interface so another engine can plug in.

`SearchIndex` is what the catalog needs from a search engine: keep one document per title (in
the caller's transaction, so the index never drifts from the tables) and answer ranked,
maturity-filtered prefix queries. `Fts5Index` implements it with SQLite FTS5, `TsvectorIndex`
with a PostgreSQL tsvector column (GIN index, ts_rank, prefix tsquery); both run through the
same contract tests (tests/services/catalog/test_search_index.py) and the same API tests.

User text never reaches the engine's query syntax: `query_terms` keeps only word tokens, and the
FTS5 backend quotes each one as a prefix phrase (the tsvector backend as a quoted prefix
lexeme), so quotes, parentheses, `AND`, `NEAR`, `&`, `!` or `*` typed by a viewer are just
characters that match nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_TERMS = 12
_WORD = re.compile(r"\w+")

# bm25 column weights: a hit in the name counts most, then cast, genres, synopsis.
NAME_WEIGHT = 10.0
CAST_WEIGHT = 4.0
GENRE_WEIGHT = 2.0
SYNOPSIS_WEIGHT = 1.0


@dataclass(frozen=True)
class SearchDocument:
    """What search sees of a title."""

    title_id: int
    name: str
    cast: Sequence[str]
    genres: Sequence[str]
    synopsis: str
    maturity_rank: int


class SearchIndex(Protocol):
    """A ranked full-text index of titles; writes join the caller's transaction."""

    def create(self, session: Session) -> None:
        """Create the index's storage if missing (idempotent)."""

    def put(self, session: Session, doc: SearchDocument) -> None:
        """Insert or replace the document of `doc.title_id`."""

    def remove(self, session: Session, title_id: int) -> None:
        """Forget a title; a no-op when it is not indexed."""

    def size(self, session: Session) -> int:
        """How many titles are indexed."""

    def rebuild(self, session: Session, docs: Iterable[SearchDocument]) -> None:
        """Replace the whole index with `docs`."""

    def search(self, session: Session, query: str, max_maturity_rank: int, limit: int) -> list[int]:
        """Ids of titles matching every term of `query` by prefix, best first."""


def query_terms(query: str) -> list[str]:
    """The word tokens of a viewer's query, normalized (full-width letters fold to ASCII)."""
    normalized = unicodedata.normalize("NFKC", query)
    return _WORD.findall(normalized)[:MAX_TERMS]


def fts5_match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression requiring every term as a prefix, or None when nothing to find.

    Tokens come from `\\w+`, so they never hold a double quote and quoting them is enough to
    turn any operator-looking word into a plain string.
    """
    terms = query_terms(query)
    if not terms:
        return None
    return " ".join(f'"{term}"*' for term in terms)


def _normalized(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


class Fts5Index:
    """`SearchIndex` on an SQLite FTS5 table that lives in the catalog's own database."""

    table = "titles_fts"

    def create(self, session: Session) -> None:
        # prefix='2 3' keeps extra index entries for 2- and 3-letter prefixes, which are what
        # search-as-you-type sends most. maturity_rank is stored but not tokenized: the filter
        # runs inside the index, so the index does not depend on the relational tables.
        session.execute(
            text(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} USING fts5("
                "name, people, genres, synopsis, maturity_rank UNINDEXED, "
                "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
            )
        )

    def put(self, session: Session, doc: SearchDocument) -> None:
        self.remove(session, doc.title_id)
        session.execute(
            text(
                f"INSERT INTO {self.table} "
                "(rowid, name, people, genres, synopsis, maturity_rank) "
                "VALUES (:id, :name, :people, :genres, :synopsis, :rank)"
            ),
            {
                "id": doc.title_id,
                "name": _normalized(doc.name),
                "people": _normalized("\n".join(doc.cast)),
                "genres": _normalized("\n".join(doc.genres)),
                "synopsis": _normalized(doc.synopsis),
                "rank": doc.maturity_rank,
            },
        )

    def remove(self, session: Session, title_id: int) -> None:
        session.execute(text(f"DELETE FROM {self.table} WHERE rowid = :id"), {"id": title_id})

    def size(self, session: Session) -> int:
        return int(session.execute(text(f"SELECT count(*) FROM {self.table}")).scalar_one())

    def rebuild(self, session: Session, docs: Iterable[SearchDocument]) -> None:
        session.execute(text(f"DELETE FROM {self.table}"))
        for doc in docs:
            self.put(session, doc)

    def search(self, session: Session, query: str, max_maturity_rank: int, limit: int) -> list[int]:
        expression = fts5_match_expression(query)
        if expression is None:
            return []
        weights = f"{NAME_WEIGHT}, {CAST_WEIGHT}, {GENRE_WEIGHT}, {SYNOPSIS_WEIGHT}, 0.0"
        # bm25() is lower-is-better; rowid breaks ties so equal scores keep a stable order.
        rows = session.execute(
            text(
                f"SELECT rowid FROM {self.table} "
                f"WHERE {self.table} MATCH :expression AND maturity_rank <= :rank "
                f"ORDER BY bm25({self.table}, {weights}), rowid LIMIT :limit"
            ),
            {"expression": expression, "rank": max_maturity_rank, "limit": limit},
        )
        return [int(row[0]) for row in rows]


def folded(value: str) -> str:
    """Lower case without diacritics ("Café" -> "cafe"): what FTS5's `remove_diacritics`
    tokenizer does, done before PostgreSQL sees the text (so no `unaccent` extension needed)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tsquery_expression(query: str) -> str | None:
    """A `to_tsquery` expression requiring every term as a prefix, or None when nothing to find.

    Every token is a quoted lexeme (`'term':*`); tokens come from `\\w+` and hold no quote, so
    an operator typed by a viewer can never become tsquery syntax.
    """
    terms = [folded(term) for term in query_terms(query)]
    if not terms:
        return None
    return " & ".join(f"'{term}':*" for term in terms)


# ts_rank's weights are {D, C, B, A} in 0..1: synopsis, genres, cast, name (same ratios as bm25's).
_TS_WEIGHTS = "{%s,%s,%s,%s}" % tuple(  # noqa: UP031 - a PostgreSQL array literal, not formatting
    w / NAME_WEIGHT for w in (SYNOPSIS_WEIGHT, GENRE_WEIGHT, CAST_WEIGHT, NAME_WEIGHT)
)


class TsvectorIndex:
    """`SearchIndex` on a PostgreSQL table of weighted tsvectors, in the catalog's database.

    One row per title: the name (weight A), cast (B), genres (C) and synopsis (D) folded and
    tokenized with the `simple` configuration (no stemming and no stop words, like FTS5's
    unicode61), a GIN index for the `@@` match and the maturity rank for the filter. Ranked by
    `ts_rank` with the weights above, ties broken by id.
    """

    table = "titles_search"

    def create(self, session: Session) -> None:
        # The catalog's migrations create the table on PostgreSQL (v0002); this keeps the index
        # usable on its own (its contract tests) and is a no-op once the table exists.
        session.execute(text(CREATE_TSVECTOR_TABLE))
        session.execute(text(CREATE_TSVECTOR_INDEX))

    def put(self, session: Session, doc: SearchDocument) -> None:
        session.execute(
            text(
                f"INSERT INTO {self.table} (title_id, maturity_rank, document) VALUES (:id, :rank, "
                "setweight(to_tsvector('simple', :name), 'A') || "
                "setweight(to_tsvector('simple', :people), 'B') || "
                "setweight(to_tsvector('simple', :genres), 'C') || "
                "setweight(to_tsvector('simple', :synopsis), 'D')) "
                "ON CONFLICT (title_id) DO UPDATE "
                "SET maturity_rank = excluded.maturity_rank, document = excluded.document"
            ),
            {
                "id": doc.title_id,
                "rank": doc.maturity_rank,
                "name": folded(_normalized(doc.name)),
                "people": folded(_normalized("\n".join(doc.cast))),
                "genres": folded(_normalized("\n".join(doc.genres))),
                "synopsis": folded(_normalized(doc.synopsis)),
            },
        )

    def remove(self, session: Session, title_id: int) -> None:
        session.execute(text(f"DELETE FROM {self.table} WHERE title_id = :id"), {"id": title_id})

    def size(self, session: Session) -> int:
        return int(session.execute(text(f"SELECT count(*) FROM {self.table}")).scalar_one())

    def rebuild(self, session: Session, docs: Iterable[SearchDocument]) -> None:
        session.execute(text(f"DELETE FROM {self.table}"))
        for doc in docs:
            self.put(session, doc)

    def search(self, session: Session, query: str, max_maturity_rank: int, limit: int) -> list[int]:
        expression = tsquery_expression(query)
        if expression is None:
            return []
        rows = session.execute(
            text(
                "SELECT title_id FROM "
                f"{self.table}, to_tsquery('simple', :expression) AS query "
                "WHERE document @@ query AND maturity_rank <= :rank "
                "ORDER BY ts_rank(CAST(:weights AS real[]), document, query) DESC, title_id "
                "LIMIT :limit"
            ),
            {
                "expression": expression,
                "rank": max_maturity_rank,
                "limit": limit,
                "weights": _TS_WEIGHTS,
            },
        )
        return [int(row[0]) for row in rows]


CREATE_TSVECTOR_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TsvectorIndex.table} ("
    "title_id integer PRIMARY KEY, maturity_rank smallint NOT NULL, document tsvector NOT NULL)"
)
CREATE_TSVECTOR_INDEX = (
    f"CREATE INDEX IF NOT EXISTS ix_{TsvectorIndex.table}_document "
    f"ON {TsvectorIndex.table} USING gin (document)"
)
