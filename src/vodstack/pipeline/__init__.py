"""The content pipeline (cold path): ingest, media processing, orchestration, publish.

Layers, one way:  service (HTTP API, uploads) -> jobs (DAG, scheduler, workers, publish)
-> media (probe, encode, package: what a task does) and storage (the object store).
"""
