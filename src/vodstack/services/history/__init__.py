"""The history service: viewing history, resume positions, continue watching, watched flags.

Its own process and data: N SQLite shards keyed by profile (consistent hashing), filled by the
`history` consumer group of the events log, read through a look-aside cache.
"""
