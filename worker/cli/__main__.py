"""``python -m worker.cli``: the ``remind`` command without its console script."""

from worker.cli.main import main

main()
