"""Demo content a fresh install starts with (made-up titles; media are synthesized)."""
