"""Proration: what a plan change mid-period costs (or gives back) for the rest of the period."""

from __future__ import annotations

from datetime import datetime


def prorated_cents(
    old_price: int, new_price: int, period: tuple[datetime, datetime], now: datetime
) -> int:
    """The new plan's price minus the old one's, for the share of `period` left at `now`.

    Positive: owed now (an upgrade). Negative: a credit for the next invoice (a downgrade).
    Rounded to the cent, half away from zero, so a change at the period's start costs the full
    difference and one at its end costs nothing.
    """
    start, end = period
    total = (end - start).total_seconds()
    left = min(max((end - now).total_seconds(), 0.0), total)
    exact = (new_price - old_price) * left / total
    return int(exact + 0.5) if exact >= 0 else -int(-exact + 0.5)
