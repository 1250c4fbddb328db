"""The `vodstack` command line."""
