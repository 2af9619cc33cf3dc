"""Counted words in what listdigest writes: ``1 message``, ``2 messages``, ``1 series``."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 message``, ``2 messages``; ``many`` for words not made plural by an -s
    (``reply``/``replies``); "series" is its own plural."""
    if n == 1:
        return f"{n} {word}"
    if many is None:
        many = word if word.endswith("series") else word + "s"
    return f"{n} {many}"
