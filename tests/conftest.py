"""Shared fixtures: a Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(jp_server_config):
    # Without this the isolated test config never loads the extension: every route 404s.
    return {"ServerApp": {"jpserver_extensions": {"jupyter_kfp_connect": True}}}
