"""``python -m benchmarks``: the harness (``benchmarks/harness.py``)."""

from benchmarks.harness import main

raise SystemExit(main())
