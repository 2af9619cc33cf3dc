"""Fixtures for delivery tests: a real aiosmtpd server on 127.0.0.1 (a random free port)."""

from __future__ import annotations

import pytest
from daily_helpers import Inbox, running_smtp


@pytest.fixture
def smtp_server():
    with running_smtp(Inbox()) as handler:
        yield handler
