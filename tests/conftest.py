"""Shared fixtures: a Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


def pytest_configure(config):
    config.addinivalue_line("markers", "reference_missing(path): KFP's reference data is absent")


def pytest_runtest_setup(item):
    """A test parametrized over a missing reference corpus fails under CI, skips elsewhere."""
    marker = item.get_closest_marker("reference_missing")
    if marker is not None:
        from tests.reference import missing

        missing(marker.args[0])


@pytest.fixture
def jp_server_config(jp_server_config):
    # Without this the isolated test config never loads the extension: every route 404s.
    return {"ServerApp": {"jpserver_extensions": {"jupyter_kfp_connect": True}}}


@pytest.fixture
def sandbox_factory():
    """``sandbox_factory(mode="standalone", **opts)`` -> a started Sandbox, closed at teardown."""
    from jupyter_kfp_connect.sandbox import Sandbox

    started = []

    def make(mode: str = "standalone", **opts):
        sandbox = Sandbox(mode, **opts).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.close()


@pytest.fixture
def sandbox(sandbox_factory):
    """A started standalone (single-user, no login) sandbox."""
    return sandbox_factory()
