"""Benchmarks (run with ``bench/run`` or ``python -m bench``); not part of the package."""
