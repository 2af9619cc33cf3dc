"""Fixtures for delivery tests: a real aiosmtpd server on 127.0.0.1 (a random free port)."""

from __future__ import annotations

import pytest

from daily_helpers import Inbox, free_port


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Inbox()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    handler.port = ctl.port
    try:
        yield handler
    finally:
        ctl.stop()
