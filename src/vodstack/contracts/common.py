"""Types every service shares: maturity levels, pages, the error body."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Maturity(StrEnum):
    """A profile's maturity level, and the level a title requires. Ordered kids < teen < adult."""

    KIDS = "kids"
    TEEN = "teen"
    ADULT = "adult"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, required: Maturity) -> bool:
        """Whether a profile at this level may see a title that requires `required`."""
        return required.rank <= self.rank

    def visible_levels(self) -> list[Maturity]:
        return [level for level in Maturity if self.allows(level)]


_RANK = {Maturity.KIDS: 0, Maturity.TEEN: 1, Maturity.ADULT: 2}


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str
    details: list[dict[str, Any]] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


class Changes(BaseModel):
    """The ids a service's change feed lists after a cursor (`GET .../changes?after=`, internal;
    core/change_feed.py)."""

    #: Ask with this next time.
    cursor: int = Field(ge=0)
    #: What changed after the cursor asked with, each once.
    ids: list[int]
    #: False: more changed than one answer lists, or the cursor is unknown: forget them all.
    complete: bool = True
