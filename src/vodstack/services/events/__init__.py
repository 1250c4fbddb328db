"""The events service: players' event batches in, validated and deduplicated, into the log."""
