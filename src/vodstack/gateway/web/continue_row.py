"""The home page's "Continue watching" row: the history service's started, unfinished titles,
with the catalog's summaries (at the profile's maturity) and how far each got.

The row is an extra: when the history service is down the home page renders without it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.history import HistoryClient
from vodstack.contracts.catalog import Title
from vodstack.contracts.history import Position
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import Viewer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    title: Title
    position: Position

    @property
    def progress(self) -> float:
        return self.position.progress or 0.0


async def continue_row(
    history: HistoryClient, catalog: CatalogClient, viewer: Viewer
) -> list[Started]:
    try:
        positions = await history.continue_watching(viewer.profile.id)
    except VodstackError as exc:
        log.warning("continue watching left out: %s", exc.message)
        return []
    titles = await asyncio.gather(
        *(_title(catalog, viewer, p.title_id) for p in positions), return_exceptions=False
    )
    return [Started(t, p) for t, p in zip(titles, positions, strict=True) if t is not None]


async def _title(catalog: CatalogClient, viewer: Viewer, title_id: int) -> Title | None:
    try:
        return await catalog.title(title_id, viewer.maturity, unpublished=viewer.sees_unpublished)
    except VodstackError:
        return None  # gone, or above this profile's maturity
