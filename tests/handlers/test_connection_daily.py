"""The panel's daily safety nets: the periodic status refresh notices an expired session,
and a namespace typed by hand is checked before it is used or remembered."""

from __future__ import annotations

import json

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import NAMESPACE, PASSWORD, USER, error_code

DEX_LOGIN = {"auth": "dex", "username": USER, "password": PASSWORD}


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb, kfp_extra):
    return {"host": sb.kfp_host, **kfp_extra}


async def test_status_check_notices_an_expired_session(call, sb):
    code, status = await call("POST", "login", DEX_LOGIN)
    assert status["state"] == "connected"
    sb.controls.expire_sessions()
    # Without the check the server answers from memory and cannot know.
    code, status = await call("GET", "status")
    assert status["state"] == "connected"
    code, status = await call("GET", "status", check="1")
    assert code == 200 and status["state"] == "expired"


async def test_status_check_keeps_a_live_session(call, sb):
    await call("POST", "login", DEX_LOGIN)
    code, status = await call("GET", "status", check="1")
    assert code == 200 and status["state"] == "connected"


async def test_typed_namespace_without_access_is_refused_and_not_remembered(call, sb, jp_data_dir):
    code, status = await call("POST", "login", DEX_LOGIN)
    before = status["namespace"]
    code, body = await call("PUT", "namespace", {"namespace": "alice", "check": True})
    assert code == 403 and error_code(body) == "namespace_denied"
    error = body["error"]
    assert error["message"] == "You have no access to namespace alice."
    assert error["fix"] and "kind: RoleBinding" in error["yaml"]
    assert error["details"]["kfp_message"]  # KFP's own words, for the details fold
    code, status = await call("GET", "status")
    assert status["namespace"] == before
    saved = jp_data_dir / "kfp_connect" / "namespaces.json"
    assert not saved.exists() or "alice" not in json.loads(saved.read_text()).values()


async def test_typed_namespace_with_access_is_used(call, sb):
    await call("POST", "login", DEX_LOGIN)
    code, body = await call("PUT", "namespace", {"namespace": NAMESPACE, "check": True})
    assert code == 200 and body["namespace"] == NAMESPACE
    code, body = await call("PUT", "namespace", {"namespace": "x", "check": "yes"})
    assert code == 400 and error_code(body) == "bad_request"


def test_kfp_upload_duplicate_suggests_version_of():
    from jupyter_kfp_connect.errors import KFPConnectError
    from jupyter_kfp_connect.kernel.magics import duplicate_hint

    err = KFPConnectError("duplicate_name", "A pipeline named hello exists.", status=409,
                          details={"name": "hello", "pipeline_id": "p1"})
    hinted = duplicate_hint(err, "hello.yaml", shared=False)
    assert "%kfp upload hello.yaml --version-of hello" in hinted.problem.fix
    assert hinted.problem.details["pipeline_id"] == "p1"
    other = KFPConnectError("not_found", "x", status=404)
    assert duplicate_hint(other, "a.yaml", shared=False) is other
