"""A profile's "My List" as the pages show it: the accounts service's title ids, with the
catalog's titles at the profile's maturity (a title gone or above it is left out).

The list is an extra on the home page: when the accounts service cannot answer, the page renders
without it.
"""

from __future__ import annotations

import asyncio
import logging

from vodstack.contracts.catalog import Title
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import Viewer
from vodstack.gateway.upstreams import Upstreams

log = logging.getLogger(__name__)

SHOWN = 40  # titles the home page's row asks the catalog for


async def listed_ids(clients: Upstreams, viewer: Viewer) -> list[int]:
    """The profile's list, newest first; empty when the accounts service fails."""
    try:
        entries = await clients.accounts.my_list(viewer.session.account.id, viewer.profile.id)
    except VodstackError as exc:
        log.warning("my list left out: %s", exc.message)
        return []
    return [entry.title_id for entry in entries]


async def listed_titles(clients: Upstreams, viewer: Viewer, ids: list[int]) -> list[Title]:
    titles = await asyncio.gather(*(_title(clients, viewer, i) for i in ids[:SHOWN]))
    return [title for title in titles if title is not None]


async def _title(clients: Upstreams, viewer: Viewer, title_id: int) -> Title | None:
    try:
        return await clients.catalog.title(
            title_id, viewer.maturity, unpublished=viewer.sees_unpublished
        )
    except VodstackError:
        return None  # gone, or above this profile's maturity
