"""The experiments service's table: one row per experiment definition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vodstack.core.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class ExperimentRow(Base):
    __tablename__ = "experiments"

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    description: Mapped[str] = mapped_column(String(500))
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stop_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
