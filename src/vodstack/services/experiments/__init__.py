"""A/B experiments: definitions, deterministic allocation, exposures and results from the
events log (docs/experiments.md)."""
