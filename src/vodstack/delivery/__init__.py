"""The delivery contract: what the pipeline publishes and the edges, origin and playback agree on.

Asset layout and object keys, the edge URL grammar, the segment token format, the topology of
origin and edges. It sits below every package that writes or reads published media, so no path
template or URL shape is written twice (docs/architecture.md).
"""
