"""Benchmarks that print tables (docs/benchmarks.md); run as `python -m bench.<name>`."""
