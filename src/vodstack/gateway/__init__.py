"""The API gateway: the only public entry point (web UI and `/api/...`), stateless.

Layers, one way:  api/ + web/ (routes)  ->  deps (session, CSRF, limits)  ->
session_cache, rate_limit (pluggable stores)  ->  upstreams (typed HTTP clients of the services).
"""
