"""remind's benchmarks: ``make bench`` (``python -m benchmarks``) and the scripts beside it.

The harness measures the figures of issue 11's targets table and prints them as one JSON object
on its last line; ``benchmarks/RESULTS.md`` records the runs and what they mean.
"""
