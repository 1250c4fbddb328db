"""The events pipeline: players' heartbeats and QoE events, a durable log, its consumers.

Layers (one way): `service` (the events process) and `consumers` → `log` (the append-only log
interface and its backends). docs/events.md has the design.
"""
