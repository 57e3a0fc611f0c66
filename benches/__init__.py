"""Benchmarks, runnable as ``python -m benches.<name>``."""
