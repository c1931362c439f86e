"""``c.KFPConnect.allow_insecure_tls = False``: nobody turns certificate verification off,
neither from the browser's sign-in nor from a kernel's ``kernel/api/login``."""

from __future__ import annotations

import json

import pytest

from jupyter_kfp_connect.kernel import SECRET_HEADER
from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import PASSWORD, USER, error_code
from tests.kernel.conftest import kfp_app


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def https_host(sb, tls_front):
    return tls_front(sb) + "/pipeline"


@pytest.fixture
def kfp_config(https_host):
    return {"host": https_host, "allow_insecure_tls": False}


async def test_browser_sign_in_without_verification_is_refused(call, sb):
    sb.controls.clear_log()
    code, body = await call("POST", "login", {"username": USER, "password": PASSWORD, "verify_ssl": False})
    assert code == 400 and error_code(body) == "tls_required", body
    assert "allow_insecure_tls" in body["error"]["message"]
    assert sb.controls.request_log() == []  # not a byte sent, the password least of all
    code, status = await call("GET", "status")
    assert status["verify_ssl"] is True


async def test_kernel_sign_in_without_verification_is_refused(jp_fetch, jp_serverapp, sb):
    secret = {"Authorization": "", SECRET_HEADER: kfp_app(jp_serverapp).kernel_secret}
    response = await jp_fetch("kfp-connect", "kernel/api/login", method="POST", headers=secret,
                              body=json.dumps({"username": USER, "password": PASSWORD, "verify_ssl": False}),
                              raise_error=False)
    body = json.loads(response.body)
    assert response.code == 400 and error_code(body) == "tls_required", body


async def test_verified_sign_in_still_works(call, ca_file):
    code, status = await call("POST", "login", {"username": USER, "password": PASSWORD, "ca_cert": ca_file})
    assert code == 200 and status["state"] == "connected", status


async def test_the_front_end_is_told_and_never_advised_to_turn_it_off(call):
    """The panel hides its "Don't verify" box when the status says so, and a certificate
    error's fix names the CA bundle only (the other way out would be refused)."""
    code, status = await call("GET", "status")
    assert code == 200 and status["allow_insecure_tls"] is False
    code, body = await call("POST", "login", {"username": USER, "password": PASSWORD})
    assert code == 502 and error_code(body) == "tls_error", body
    assert "ca_cert" in body["error"]["fix"]
    assert "verif" not in body["error"]["fix"].replace("verified", ""), body["error"]["fix"]
    code, status = await call("GET", "status")
    assert status["problem"]["code"] == "tls_error"
    assert status["problem"]["fix"] == body["error"]["fix"]
