"""The playback service: entitlement, concurrent streams, signed URLs, filtered manifests.

Layers, one way:  api  ->  service  ->  manifests (pure), store (database), assets (object
store), edges (CDN steering), catalog client.
"""
