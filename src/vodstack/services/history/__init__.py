"""The history service: viewing history, resume positions, continue watching, watched flags.

Its own process and data: N shards keyed by profile (consistent hashing; SQLite files, or
PostgreSQL databases or schemas by URL, migrated per shard), filled by the
`history` consumer group of the events log, read through a look-aside cache.
"""
