"""What the digest says: counts, series entries, totals -> a ``Digest``.

Takes parsed messages and series from the earlier stages; knows nothing of output formats.
"""
