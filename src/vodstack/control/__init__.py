"""The delivery tier's control plane: decisions about the edges, made away from the request path.

Which edge serves whom and whether it is up (steering, health collection, regions), and what
each edge should hold (the fill planner). It lives apart from the edge server (`cdn/`) because
playback and the gateway use it and must not import the edge server to do so.

The fill planner's layers, one way (a module imports only from the lines below it):

    prefill           offline replay of the whole design: nightly plans + demand-fetch caching
    summary, history  `vodstack cache plan`: learn a request log, report a region's plan
    tuning            the pinned share, chosen nightly by replaying yesterday
    planner           one fill window: forecast -> placement -> fill orders, per region
    fills             rate-limited, tiered fill orders (same-region peer first, then origin)
    placement         which objects each edge holds: by expected bytes per byte, spread
    forecast          per region/title demand and per-object shape from decayed counts
    objects           object ids -> title and rendition
"""
