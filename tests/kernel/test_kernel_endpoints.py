"""The server side of the kernel link, without a kernel: the environment it hands kernels, and
who may use ``kernel/connection`` (the secret, never a browser) and ``kernel/api/*``."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

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


def test_the_secret_counts_only_from_a_direct_loopback_peer():
    """Kernels call the loopback URL directly; the socket's own peer decides, and a request a
    proxy relayed (it says so in a forwarding header) is not a kernel's."""
    from tornado.httputil import HTTPHeaders

    from jupyter_kfp_connect.handlers.kernel_identity import direct_from_this_machine

    def request_from(peer: str, **headers: str) -> bool:
        connection = SimpleNamespace(context=SimpleNamespace(address=(peer, 40000)))
        # remote_ip says loopback whatever the peer: what X-Real-Ip makes of it under trust_xheaders
        return direct_from_this_machine(SimpleNamespace(connection=connection, remote_ip="127.0.0.1",
                                                        headers=HTTPHeaders(headers)))

    for local in ("127.0.0.1", "127.0.0.6", "::1", "::ffff:127.0.0.1"):
        assert request_from(local), local
    for remote in ("10.1.2.3", "192.0.2.7", "2001:db8::1", "::ffff:10.1.2.3", "", "not-an-ip"):
        assert not request_from(remote), remote
    for header in ("X-Forwarded-For", "X-Real-Ip", "Forwarded"):
        assert not request_from("127.0.0.1", **{header: "127.0.0.1"}), header


def this_machines_other_address() -> str:
    """A non-loopback IPv4 address of this machine (the one its default route leaves from)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a source address
        address = probe.getsockname()[0]
    assert not ipaddress.ip_address(address).is_loopback, address
    return address


@pytest.mark.parametrize("headers_refused", [True, False], ids=["both-checks", "peer-check-alone"])
async def test_x_real_ip_cannot_pass_a_remote_peer_off_as_loopback(jp_serverapp, jp_web_app, jp_base_url,
                                                                  http_server, headers_refused, monkeypatch):
    """With ``trust_xheaders`` (JupyterHub turns it on) Tornado's ``remote_ip`` is whatever
    X-Real-Ip / X-Forwarded-For say; a peer elsewhere claiming 127.0.0.1 still gets nothing.
    Each defence holds alone: with forwarding headers let through, the socket's own peer
    still refuses (a check of ``remote_ip`` would let the claim in)."""
    from jupyter_kfp_connect.handlers import kernel_identity

    if not headers_refused:
        monkeypatch.setattr(kernel_identity, "FORWARDING_HEADERS", ())
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    address = this_machines_other_address()
    sockets = bind_sockets(0, address)
    server = HTTPServer(jp_web_app, xheaders=True)  # as ServerApp does with trust_xheaders
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    secret = kfp_app(jp_serverapp).kernel_secret
    client = AsyncHTTPClient()
    try:
        for claim in ({"X-Real-Ip": "127.0.0.1"}, {"X-Forwarded-For": "127.0.0.1"}, {}):
            response = await client.fetch(
                f"http://{address}:{port}{jp_base_url}kfp-connect/kernel/connection",
                headers={SECRET_HEADER: secret, "Host": f"127.0.0.1:{port}", **claim},
                raise_error=False)
            assert response.code == 403, (claim, response.code)
        # The same request without a claim, from loopback, is a kernel's.
        response = await client.fetch(f"http://127.0.0.1:{jp_serverapp.port}{jp_base_url}kfp-connect/"
                                       "kernel/connection", headers={SECRET_HEADER: secret},
                                       raise_error=False)
        assert response.code == 200
    finally:
        server.stop()
