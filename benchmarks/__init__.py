"""Benchmarks: `make bench` runs every `bench_*.py` module here and prints its figures.

Benchmarks are not tests: they measure, print medians and ratios, and never fail on
timing. Each module has a `main()` that prints a section of the report.
"""
