"""The CDN's control plane: decisions about the edges, made away from the request path.

Layers, one way (a module imports only from the lines below it; the package may import
`vodstack.cdn` and `vodstack.config`, never the other way round):

    prefill           offline replay of the whole design: nightly plans + demand-fetch caching
    summary, history  `vodstack cache plan`: learn a request log, report a region's plan
    tuning            the pinned share, chosen nightly by replaying yesterday
    planner           one fill window: forecast -> placement -> fill orders, per region
    fills             rate-limited, tiered fill orders (same-region peer first, then origin)
    placement         which objects each edge holds: by expected bytes per byte, spread
    forecast          per region/title demand and per-object shape from decayed counts
    objects           object ids -> title and rendition

Issue 13 moves steering, health and topology here later.
"""
