"""The PostgreSQL search table (tsvector + GIN index) of `search.TsvectorIndex`.

Created here, under the migration lock, so catalog instances starting together never race to
create it; SQLite's FTS5 table stays with `Fts5Index.create` (a virtual table Alembic does not
model). The table is derived data: the catalog refills it when it drifts from `titles`.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Spelled out (not imported from search.py): a revision is frozen once released.
        op.execute(
            "CREATE TABLE IF NOT EXISTS titles_search (title_id integer PRIMARY KEY, "
            "maturity_rank smallint NOT NULL, document tsvector NOT NULL)"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_titles_search_document "
            "ON titles_search USING gin (document)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS titles_search")
