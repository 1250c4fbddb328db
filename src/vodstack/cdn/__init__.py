"""The delivery tier: origin, edges, URL tokens and steering.

Layers, one way (a module imports only from the lines below it):

    server            granian processes: run_origin / run_edge
    edge, origin      raw ASGI apps (no framework on the hot path)
    fill              single-flight pull-through fills into the disk cache
    stats             counters, rendered as Prometheus text
    upstream          peer-first-then-origin fetches (httpx)
    workload          synthetic VOD request traces (`vodstack cache generate`)
    cache/            disk cache, byte budget, eviction policies, fills in progress,
                      request traces and their replay (`vodstack cache evaluate`)
    file_response     immutable files over HTTP (headers, Range, 304, pathsend); lifespan
    steering, health  ranking edge base URLs for a viewer (used by playback, not by edges)
    regions, topology, rendezvous, tokens, assets, media_types, ranges, errors
"""
