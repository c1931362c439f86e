"""Standalone KFP (no login) and the failures a user meets before any login: wrong path,
http vs https, unreachable host, a page instead of JSON."""

from __future__ import annotations

import socket

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import error_code


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("standalone")


@pytest.fixture
def kfp_config(sb, kfp_extra):
    return {"host": sb.kfp_host, **kfp_extra}


async def test_auto_detects_no_auth_and_connects(call, sb):
    code, status = await call("GET", "status")
    assert code == 200
    assert status["state"] == "connected"
    assert status["auth"] == "none"
    assert status["multi_user"] is False
    assert status["pipeline_store"] in ("database", "kubernetes")
    assert status["host"] == sb.kfp_host
    assert status["config_sources"]["host"] == "config"
    assert any("answered healthz directly" in step for step in status["detection"]["steps"])
    assert status["login_required"] is False


async def test_check_passes_and_namespace_is_not_needed(call):
    code, result = await call("GET", "check")
    assert code == 200, result
    assert result["ok"] is True and result["problem"] is None
    ids = [c["id"] for c in result["checks"]]
    assert ids[:4] == ["endpoint", "reach", "signed_in", "api"]
    assert all(c["ok"] for c in result["checks"])


async def test_logout_then_login_with_auth_none(call, sb):
    await call("GET", "status")
    code, status = await call("POST", "logout")
    assert code == 200 and status["state"] == "signed_out"
    code, status = await call("POST", "login", {"auth": "none", "host": sb.kfp_host})
    assert code == 200 and status["state"] == "connected"


@pytest.mark.parametrize("kfp_config", [{}])
async def test_no_host_configured_asks_for_one(call, sb):
    code, status = await call("GET", "status")
    assert status["state"] == "signed_out"
    assert status["host"] == ""
    code, result = await call("GET", "check")
    assert result["ok"] is False and result["problem"]["code"] == "not_configured"
    # the login request's host wins over (missing) configuration
    code, status = await call("POST", "login", {"host": sb.kfp_host})
    assert code == 200, status
    assert status["state"] == "connected" and status["config_sources"]["host"] == "request"


@pytest.mark.parametrize("kfp_config", [{}])
async def test_env_endpoint_is_used_when_no_traitlet(call, sb, monkeypatch):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", sb.kfp_host)
    code, status = await call("GET", "status")
    assert status["state"] == "connected"
    assert status["config_sources"]["host"] == "env:KF_PIPELINES_ENDPOINT"


async def test_wrong_path_suggests_the_right_one(call, sb):
    code, body = await call("POST", "login", {"host": sb.kfp_host + "/pipelines"})
    assert code == 502
    assert error_code(body) == "wrong_path"
    suggestion = body["error"]["details"]["suggestion"]
    assert suggestion in (sb.kfp_host, sb.url + "/pipeline")
    assert suggestion in body["error"]["fix"]
    code, status = await call("POST", "login", {"host": suggestion})
    assert code == 200 and status["state"] == "connected"


@pytest.mark.parametrize("kfp_extra", [{"request_timeout": 1.0}])
async def test_https_against_http_suggests_http(call, sb):
    https = sb.kfp_host.replace("http://", "https://")
    code, body = await call("POST", "login", {"host": https})
    assert error_code(body) == "http_vs_https", body
    assert body["error"]["details"]["suggestion"] == sb.kfp_host


async def test_unreachable_host(call):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    code, body = await call("POST", "login", {"host": f"http://127.0.0.1:{port}"})
    assert code == 502 and error_code(body) == "unreachable"
    assert "connection refused" in body["error"]["message"]
    code, status = await call("GET", "status")
    assert status["state"] == "error" and status["problem"]["code"] == "unreachable"


async def test_ui_url_is_normalised(call, sb):
    # people paste the KFP UI's address from the browser
    code, status = await call("POST", "login", {"host": sb.kfp_host + "/#/pipelines"})
    assert code == 200, status
    assert status["host"] == sb.kfp_host and status["state"] == "connected"


async def test_bad_login_body_is_400(call):
    code, body = await call("POST", "login", {"password": 3})
    assert code == 400 and error_code(body) == "bad_request"
    code, body = await call("POST", "login", {"nonsense": "x"})
    assert code == 400 and error_code(body) == "bad_request"
