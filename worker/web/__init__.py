"""``remind web``: the HTTP service (docs/contracts.md, HTTP).

It sits beside ``worker.runtime`` in the layers: it reaches the domain through ``worker.intake``
and the ``App`` only, so an account or event that arrives over HTTP is handled exactly as one
from ``remind enroll``/``remind event``.
"""
