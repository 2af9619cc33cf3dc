"""Seeds for the fuzz tests: a few dozen real messages sampled from the archive bundles at
test time (never stored in the repository), plus the crafted hostile messages."""

from __future__ import annotations

import hostile_kit
import pytest


@pytest.fixture(scope="session")
def fuzz_messages() -> list[bytes]:
    real = hostile_kit.seed_messages(40)
    crafted = [m for _, m in hostile_kit.hostile_messages(small=True)]
    return real + crafted
