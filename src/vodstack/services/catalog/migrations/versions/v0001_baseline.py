"""Baseline: the schema `create_all` made before migrations (tables and indexes created only
when missing, so a database of that release keeps its rows; core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.db import UTCDateTime
from vodstack.core.migrations import create_index_if_missing, create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "genres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    create_table_if_missing(
        "titles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("movie", "series", "episode", name="titlekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("maturity_rank", sa.SmallInteger(), nullable=False),
        sa.Column("synopsis", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column(
            "availability",
            sa.Enum(
                "processing",
                "available",
                "failed",
                name="availability",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("asset_version", sa.String(length=200), nullable=True),
        sa.Column("cast", sa.JSON(), nullable=False),
        sa.Column("seasons", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    create_index_if_missing(
        "ix_titles_listed_rank_id",
        "titles",
        ["maturity_rank", "id"],
        unique=False,
        sqlite_where=sa.text("kind != 'episode'"),
        postgresql_where=sa.text("kind != 'episode'"),
    )
    create_index_if_missing("ix_titles_rank_id", "titles", ["maturity_rank", "id"], unique=False)
    create_index_if_missing(
        "ix_titles_rank_name", "titles", ["maturity_rank", "name"], unique=False
    )
    create_index_if_missing(
        "ix_titles_rank_year", "titles", ["maturity_rank", "year", "id"], unique=False
    )

    create_table_if_missing(
        "artwork_images",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["title_id"], ["titles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("title_id"),
    )
    create_table_if_missing(
        "episodes",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("season", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["titles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["title_id"], ["titles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("title_id"),
        sa.UniqueConstraint("series_id", "season", "number"),
    )
    create_index_if_missing("ix_episodes_series_id", "episodes", ["series_id"], unique=False)

    create_table_if_missing(
        "title_genres",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genre_id"],
            ["genres.id"],
        ),
        sa.ForeignKeyConstraint(["title_id"], ["titles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("title_id", "genre_id"),
    )
    create_index_if_missing(
        "ix_title_genres_genre", "title_genres", ["genre_id", "title_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("title_genres")
    op.drop_table("episodes")
    op.drop_table("artwork_images")
    op.drop_table("titles")
    op.drop_table("genres")
