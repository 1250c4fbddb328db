"""The consumer groups reading the events log: one per consumer, each with its own offsets.

Written once here: the consumers read under these names, and the events service's back-pressure
(`LagGate`) watches exactly these.
"""

from __future__ import annotations

HISTORY = "history"  # resume positions, watched flags, continue watching
POPULARITY = "popularity"  # plays per title and region per hour
TELEMETRY = "telemetry"  # QoE counters and histograms
# What each profile watched, for the recommender. Not in GROUPS on purpose: recommendations
# that fall behind (or a recs service that is down) must never make the events service refuse
# player events; the group catches up from the log when it is back.
RECS = "recs"

GROUPS = (HISTORY, POPULARITY, TELEMETRY)
