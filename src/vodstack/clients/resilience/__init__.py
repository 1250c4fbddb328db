"""The typed clients' resilience: balancing, outlier ejection, health checks, retries with a
budget, circuit breakers, bulkheads and stale fallbacks, composed in `transport.py`.

Layering inside: `transport` uses all the others; the others import nothing of each other but
`stats` (balancing, outliers). docs/resilience.md explains the whole.
"""
