"""The consumers' sinks: each keeps its own SQLite data and applies every event id once."""
