"""A member's cell of an A/B experiment, as the gateway's pages and API ask for it.

`assign(clients, viewer, key)` is the one call: it returns the cell to serve, or None to serve
the default (no such experiment, not running, or the experiments service down or slow: an
experiment must never cost a page). The experiments service logs the exposure.
"""

from __future__ import annotations

import asyncio

from vodstack.contracts.experiments import HOME_ROW_EXPERIMENT
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import Viewer
from vodstack.gateway.upstreams import Upstreams

#: The home page's rows, top to bottom, per cell of the home row order experiment (`genres`
#: stands for all genre rows). The first is what everyone sees without the experiment.
HOME_ROW_ORDERS: dict[str, tuple[str, ...]] = {
    "control": ("continue", "my-list", "new", "genres"),
    "new-first": ("new", "continue", "my-list", "genres"),
    "genres-first": ("genres", "continue", "my-list", "new"),
}
DEFAULT_ROW_ORDER = HOME_ROW_ORDERS["control"]


async def assign(clients: Upstreams, viewer: Viewer, key: str, timeout_s: float) -> str | None:
    try:
        async with asyncio.timeout(timeout_s):
            answer = await clients.experiments.assign(
                key, viewer.session.account.id, viewer.profile.id
            )
    except (VodstackError, TimeoutError, ValueError):
        return None
    return answer.cell


async def home_row_order(clients: Upstreams, viewer: Viewer, timeout_s: float) -> tuple[str, ...]:
    cell = await assign(clients, viewer, HOME_ROW_EXPERIMENT, timeout_s)
    return HOME_ROW_ORDERS.get(cell or "", DEFAULT_ROW_ORDER)
