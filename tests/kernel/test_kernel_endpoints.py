"""The server side of the kernel link, without a kernel: the environment it hands kernels, and
who may use ``kernel/connection`` (the secret, never a browser) and ``kernel/api/*``."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest
import yaml

from jupyter_kfp_connect.kernel import SECRET_ENV, SECRET_HEADER, URL_ENV
from tests.kernel.conftest import kfp_app

NO_TOKEN = {"Authorization": ""}  # jp_fetch adds the server token unless told otherwise


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("standalone")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


@pytest.fixture
def fetch(jp_fetch):
    async def _fetch(path: str, method: str = "GET", headers: dict | None = None, body=None):
        kwargs = {"body": json.dumps(body)} if body is not None or method in ("POST", "PUT") else {}
        response = await jp_fetch("kfp-connect", path, method=method, headers=dict(headers or {}),
                                  raise_error=False, **kwargs)
        return response.code, json.loads(response.body or b"null")

    return _fetch


async def test_server_tells_kernels_its_loopback_url_and_a_random_secret(jp_serverapp, jp_base_url, jp_http_port):
    app = kfp_app(jp_serverapp)
    assert os.environ[URL_ENV] == f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    assert os.environ[SECRET_ENV] == app.kernel_secret
    assert len(app.kernel_secret) >= 40
    # Never written to a file: not in the runtime dir (server info, kernels) nor the config.
    for folder in (jp_serverapp.runtime_dir, jp_serverapp.config_dir):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                assert app.kernel_secret.encode() not in path.read_bytes(), path


async def test_kernel_connection_answers_only_to_the_secret(jp_serverapp, fetch, sb):
    secret = kfp_app(jp_serverapp).kernel_secret
    # A browser (token or cookie) must never receive KFP credentials.
    code, body = await fetch("kernel/connection")
    assert code == 403 and body["error"]["code"] == "kernel_only"
    # Neither does anybody without a credential, or with a wrong secret.
    code, _ = await fetch("kernel/connection", headers=NO_TOKEN)
    assert code == 403
    code, _ = await fetch("kernel/connection", headers={**NO_TOKEN, SECRET_HEADER: secret[:-1] + "x"})
    assert code == 403
    code, body = await fetch("kernel/connection", headers={**NO_TOKEN, SECRET_HEADER: secret})
    assert code == 200, body
    assert body["connected"] is True and body["host"] == sb.kfp_host
    assert body["headers"] == {} and body["problem"] is None  # standalone KFP: no credentials
    spec = yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())
    schema = spec["components"]["schemas"]["KernelConnection"]
    assert set(schema["required"]) <= set(body) <= set(schema["properties"])
    for path in ("/kernel/connection", "/kernel/inject", "/kernel/api/{path}"):
        assert path in spec["paths"]


async def test_kernel_inject_follows_the_server_setting(jp_serverapp, fetch):
    code, body = await fetch("kernel/inject")
    assert code == 200 and body == {"inject_kernels": True}
    kfp_app(jp_serverapp).inject_kernels = False
    code, body = await fetch("kernel/inject")
    assert body == {"inject_kernels": False}


async def test_kernel_api_serves_the_panel_endpoints_to_the_secret(jp_serverapp, fetch, sb):
    secret = {**NO_TOKEN, SECRET_HEADER: kfp_app(jp_serverapp).kernel_secret}
    sb.controls.seed("", 3)
    code, status = await fetch("kernel/api/status", headers=secret)
    assert code == 200 and status["state"] == "connected"
    code, listing = await fetch("kernel/api/pipelines", headers=secret)
    assert code == 200 and listing["total_size"] == 3
    # A POST without an XSRF cookie: the secret is an explicit credential, like a token.
    code, status = await fetch("kernel/api/logout", method="POST", headers=secret)
    assert code == 200 and status["state"] == "signed_out"
    # Without the secret these are ordinary Jupyter endpoints: no credential, no answer.
    code, _ = await fetch("kernel/api/status", headers=NO_TOKEN)
    assert code == 403


async def test_kernel_connection_reports_the_diagnosis_when_signed_out(jp_serverapp, fetch, sandbox_factory):
    app = kfp_app(jp_serverapp)
    dex = sandbox_factory("dex")
    app.host = dex.kfp_host  # a fresh connection reads the configuration again
    code, body = await fetch("kernel/connection", headers={**NO_TOKEN, SECRET_HEADER: app.kernel_secret})
    assert code == 200
    assert body["connected"] is False and body["headers"] == {}
    assert body["problem"]["code"] == "not_signed_in" and body["problem"]["fix"]
    assert body["host"] == dex.kfp_host


def test_the_secret_counts_only_from_this_machine():
    """Kernels call the loopback URL; a leaked secret sent from elsewhere gets nothing.
    (jp_fetch always comes from 127.0.0.1, so the peer address is set here by hand.)"""
    from types import SimpleNamespace

    from jupyter_kfp_connect.handlers.kernel import KernelAuthMixin

    def request_from(remote_ip: str, secret: str = "s3cret") -> bool:
        handler = KernelAuthMixin()
        handler.request = SimpleNamespace(headers={SECRET_HEADER: secret}, remote_ip=remote_ip)
        handler.kfp_app = SimpleNamespace(kernel_secret="s3cret")
        return handler.kernel_authenticated

    for local in ("127.0.0.1", "127.0.0.6", "::1"):
        assert request_from(local), local
    for remote in ("10.1.2.3", "192.0.2.7", "2001:db8::1", "", "not-an-ip"):
        assert not request_from(remote), remote
    assert not request_from("127.0.0.1", secret="wrong")
