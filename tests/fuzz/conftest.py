"""Seeds for the fuzz tests: a few dozen real messages sampled from the archive bundles at
test time (never stored in the repository), plus the crafted hostile messages."""

from __future__ import annotations

from typing import List

import pytest

import hostile_kit


@pytest.fixture(scope="session")
def fuzz_messages() -> List[bytes]:
    real = hostile_kit.seed_messages(40)
    crafted = [m for _, m in hostile_kit.hostile_messages(small=True)]
    return real + crafted
