"""The catalog's tables: titles, genres and the link between them.

Seasons and cast are stored as JSON on the title row: they belong to exactly one title, are
always read and written with it, and are never queried on their own, so a document is cheaper
than three more joins. Genres are shared and browsed, so they get their own table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vodstack.contracts.catalog import Availability, TitleKind
from vodstack.core.db import UTCDateTime


def _enum(kind: type[Any]) -> SqlEnum:
    # Store the wire value ("movie"), not the Python member name ("MOVIE").
    return SqlEnum(
        kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


LISTED_SQL = "kind != 'episode'"  # a title listings show (TitleKind.EPISODE's wire value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class TitleRow(Base):
    __tablename__ = "titles"
    # AUTOINCREMENT: a deleted title's id is never handed out again, so a stale artwork URL or
    # search-index row can never point at a different title.
    __table_args__ = (
        Index("ix_titles_rank_id", "maturity_rank", "id"),
        # Listings never show episodes (`kind != 'episode'`, spelled out literally so SQLite can
        # match it to this partial index): without it every listing's COUNT reads the table.
        Index(
            "ix_titles_listed_rank_id",
            "maturity_rank",
            "id",
            sqlite_where=text(LISTED_SQL),
            postgresql_where=text(LISTED_SQL),
        ),
        Index("ix_titles_rank_year", "maturity_rank", "year", "id"),
        Index("ix_titles_rank_name", "maturity_rank", "name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TitleKind] = mapped_column(_enum(TitleKind))
    year: Mapped[int] = mapped_column(SmallInteger)
    # Maturity as its rank (kids=0 < teen=1 < adult=2) so "visible to level X" is `rank <= X`.
    maturity_rank: Mapped[int] = mapped_column(SmallInteger)
    synopsis: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    availability: Mapped[Availability] = mapped_column(_enum(Availability))
    asset_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cast_names: Mapped[list[str]] = mapped_column("cast", JSON, default=list)
    seasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    genre_links: Mapped[list[TitleGenreRow]] = relationship(
        back_populates="title",
        cascade="all, delete-orphan",
        order_by="TitleGenreRow.position",
        passive_deletes=True,
    )


class GenreRow(Base):
    __tablename__ = "genres"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(40))


class TitleGenreRow(Base):
    """A title's genre; `position` keeps the order the editor gave (the first sets the artwork)."""

    __tablename__ = "title_genres"
    __table_args__ = (Index("ix_title_genres_genre", "genre_id", "title_id"),)

    title_id: Mapped[int] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)

    title: Mapped[TitleRow] = relationship(back_populates="genre_links")
    genre: Mapped[GenreRow] = relationship(lazy="joined")


class EpisodeRow(Base):
    """An episode's place in its series. The episode itself is a TitleRow of kind EPISODE, so
    its id is a title id like any other: the pipeline publishes media under it, playback signs
    it, history keeps its resume point, with no change to any of them. A table of its own (not
    columns on `titles`) also lets `create_all` add it to an existing database."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("series_id", "season", "number"),)

    title_id: Mapped[int] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    series_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    season: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[int] = mapped_column(SmallInteger)


class ArtworkRow(Base):
    """An image an editor uploaded for a title (see `images.py`)."""

    __tablename__ = "artwork_images"

    title_id: Mapped[int] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    etag: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TitleChangeRow(Base):
    """One committed change of a title (catalog/changes.py): the feed other services' caches
    of titles are invalidated by. `seq` only grows (AUTOINCREMENT: never reused)."""

    __tablename__ = "title_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title_id: Mapped[int] = mapped_column(Integer)
