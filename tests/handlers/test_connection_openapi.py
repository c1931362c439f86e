"""openapi.yaml documents every connection route and every field status returns."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from jupyter_kfp_connect.handlers import connection as connection_handlers
from tests.connection.kfp_fixtures import *  # noqa: F401,F403


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())


def test_every_connection_route_is_documented(spec):
    assert spec["openapi"].startswith("3.")
    for pattern, handler in connection_handlers.ROUTES:
        documented = spec["paths"].get("/" + pattern)
        assert documented is not None, pattern
        methods = {m for m in ("get", "post", "put", "delete") if m in handler.__dict__}
        assert methods == {m for m in documented if m in ("get", "post", "put", "delete")}, pattern


def test_login_fields_match_the_handler(spec):
    documented = set(spec["components"]["schemas"]["LoginRequest"]["properties"])
    assert documented == set(connection_handlers.LOGIN_FIELDS)


@pytest.fixture
def kfp_config(sandbox):
    return {"host": sandbox.kfp_host}


async def test_status_fields_are_documented(spec, call):
    code, status = await call("GET", "status")
    assert code == 200
    assert set(status) <= set(spec["components"]["schemas"]["Status"]["properties"])
    code, result = await call("GET", "check")
    assert set(result) == set(spec["components"]["schemas"]["Check"]["properties"])
    assert {c["id"] for c in result["checks"]} <= set(
        spec["components"]["schemas"]["Check"]["properties"]["checks"]["items"]["properties"]["id"]["enum"])
