"""The extension's log lines reach the Jupyter server's log, and never carry a secret."""

from __future__ import annotations

import logging

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import USER, error_code

WRONG_PASSWORD = "not-the-password-81d3"


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


async def test_extension_lines_reach_the_server_log(call, jp_serverapp):
    capture = _Capture()
    jp_serverapp.log.addHandler(capture)
    try:
        code, body = await call("POST", "login", {"username": USER, "password": WRONG_PASSWORD})
        assert code == 401 and error_code(body) == "invalid_credentials", body
    finally:
        jp_serverapp.log.removeHandler(capture)
    ours = [line for line in capture.lines if line.startswith("jupyter_kfp_connect")]
    assert any("invalid_credentials" in line for line in ours), capture.lines
    assert not any(WRONG_PASSWORD in line for line in capture.lines)
