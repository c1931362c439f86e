"""TLS: an untrusted certificate, a private CA, skip-verify, and http sent to an https port."""

from __future__ import annotations

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import PASSWORD, USER, error_code


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def https_host(sb, tls_front):
    return tls_front(sb) + "/pipeline"


async def test_untrusted_certificate_is_tls_error(call, https_host):
    code, body = await call("POST", "login", {"host": https_host, "username": USER, "password": PASSWORD})
    assert code == 502 and error_code(body) == "tls_error", body
    assert "ca_cert" in body["error"]["fix"]
    # verification may be turned off here (the default policy): the fix and the status say so
    assert "turn verification off" in body["error"]["fix"]
    code, status = await call("GET", "status")
    assert status["allow_insecure_tls"] is True
    assert "turn verification off" in status["problem"]["fix"]


async def test_private_ca_bundle(call, https_host, ca_file):
    code, status = await call("POST", "login", {"host": https_host, "username": USER, "password": PASSWORD,
                                                "ca_cert": ca_file})
    assert code == 200, status
    assert status["state"] == "connected" and status["host"] == https_host


async def test_skip_verify(call, https_host):
    code, status = await call("POST", "login", {"host": https_host, "username": USER, "password": PASSWORD,
                                                "verify_ssl": False})
    assert code == 200 and status["state"] == "connected" and status["verify_ssl"] is False


async def test_http_to_an_https_port(call, https_host):
    http = https_host.replace("https://", "http://")
    code, body = await call("POST", "login", {"host": http})
    assert error_code(body) == "http_vs_https", body
    assert body["error"]["details"]["suggestion"] == https_host


async def test_unreadable_ca_bundle_is_a_clear_400(call, https_host, tmp_path):
    code, body = await call("POST", "login", {"host": https_host, "username": USER, "password": PASSWORD,
                                              "ca_cert": str(tmp_path / "missing.pem")})
    assert code == 400 and error_code(body) == "bad_request" and "missing.pem" in body["message"]
