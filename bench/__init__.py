"""Benchmarks that print plain tables: `make bench` runs bench/run.py."""
