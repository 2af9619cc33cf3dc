"""Many messages: threads, patch series, people.

Owns how messages relate (reply links, series membership, versions); takes ``Message``
objects from the ``message`` stage and hands ``Series`` and ``Thread`` to ``analysis``.
"""
