"""The consumers' sinks: each keeps its own database (migrations/<sink>) and applies every event
id once (database.DatabaseSink)."""
