"""Typed HTTP clients, one per service, speaking the wire formats in `vodstack.contracts`."""
