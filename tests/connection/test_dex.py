"""The Dex login walker against the sandbox's gateways, and its failures: each with its code,
none with the password."""

import asyncio
import datetime
import logging
import socket
import ssl

import httpx
import pytest

from jupyter_kfp_connect.connection.dex import dex_login
from jupyter_kfp_connect.errors import KFPConnectError
from jupyter_kfp_connect.sandbox import Sandbox

PASSWORD = "12341234"


async def walk(host, username="user@example.com", password=PASSWORD, connector="local", **client_kw):
    async with httpx.AsyncClient(timeout=5, **client_kw) as client:
        await dex_login(client, host, username, password, connector)
        return dict(client.cookies)


async def failure(host, **kw) -> KFPConnectError:
    with pytest.raises(KFPConnectError) as caught:
        await walk(host, **kw)
    assert PASSWORD not in str(caught.value.problem.to_json())
    return caught.value


async def test_logs_in_through_each_gateway_and_never_logs_secrets(caplog):
    caplog.set_level(logging.DEBUG, logger="jupyter_kfp_connect")
    for mode, options, cookie in (("dex", {"approval": True, "connectors": "ldap,local"}, "oauth2_proxy_kubeflow"),
                                  ("authservice", {}, "authservice_session")):
        with Sandbox(mode=mode, **options) as sb:
            cookies = await walk(sb.kfp_host)
            assert list(cookies) == [cookie]
            # The session works for the API and the dashboard.
            async with httpx.AsyncClient(base_url=sb.url, cookies=cookies) as client:
                env = (await client.get("/api/workgroup/env-info")).json()
            assert env["user"] == "user@example.com"
            # What the extension logs (the sandbox's own access log stands for the gateway's).
            logged = "\n".join(r.getMessage() for r in caplog.records
                               if r.name.startswith("jupyter_kfp_connect") and ".sandbox" not in r.name)
            assert "dex login:" in logged
            assert PASSWORD not in logged and cookies[cookie] not in logged
            assert "code=" not in logged and "state=" not in logged


async def test_starts_from_an_api_url_on_oauth2_proxy():
    with Sandbox(mode="dex") as sb:
        cookies = await walk(sb.kfp_host + "/apis/v2beta1/healthz")  # 401 {} -> /oauth2/start
        assert "oauth2_proxy_kubeflow" in cookies


async def test_invalid_credentials_and_connectors():
    with Sandbox(mode="dex", connectors="local,ldap") as sb:
        error = await failure(sb.kfp_host, password="not-it")
        assert error.code == "invalid_credentials" and error.status == 401
        error = await failure(sb.kfp_host, username="ldapuser", password=PASSWORD, connector="ldap")
        assert error.code == "invalid_credentials"
        error = await failure(sb.kfp_host, connector="github")
        assert error.code == "unknown_connector" and "ldap, local" in error.problem.message
    with Sandbox(mode="authservice", connectors="ldap") as sb:
        # One connector: Dex redirects straight to it; asking for another is named, not guessed.
        error = await failure(sb.kfp_host)
        assert error.code == "unknown_connector" and error.problem.details["connectors"] == ["ldap"]
        assert await walk(sb.kfp_host, username="ldapuser", password="ldappass", connector="ldap")


async def test_endpoints_without_dex_are_reported():
    with Sandbox(mode="standalone") as sb:
        error = await failure(sb.kfp_host)
        assert error.code == "login_flow_unexpected"
        assert error.problem.details["reason"] == "no_login_required"
    with Sandbox(mode="in-cluster") as sb:
        # A 401 that is not oauth2-proxy's: /oauth2/start does not exist there.
        error = await failure(sb.kfp_host + "/apis/v2beta1/pipelines?namespace=x")
        assert error.code == "login_flow_unexpected"
        assert "/oauth2/start" in error.problem.message and "?" not in error.problem.message.split("at ")[-1]


async def test_unreachable_names_the_host():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = await failure(f"http://127.0.0.1:{port}/pipeline")
    assert error.code == "unreachable" and f"127.0.0.1:{port}" in error.problem.message


async def test_untrusted_certificate_is_a_tls_error_with_a_fix(tmp_path):
    cryptography = pytest.importorskip("cryptography")  # noqa: F841
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    async def answer(reader, writer):
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await failure(f"https://127.0.0.1:{port}/pipeline")
    finally:
        server.close()
    assert error.code == "tls_error" and f"127.0.0.1:{port}" in error.problem.message
    assert "ca_cert" in error.problem.fix and "verify_ssl" in error.problem.fix


@pytest.mark.parametrize("connectors", ["local", "ldap,local"], ids=["one-connector", "chooser"])
async def test_signs_in_through_dex_real_approval_page(connectors):
    """Dex's approval.html: forms without an action, hidden ``req`` and ``approval=approve``,
    an unnamed button; the ``hmac`` is only in the page's query string."""
    with Sandbox(mode="dex", approval=True, connectors=connectors) as sb:
        cookies = await walk(sb.kfp_host)
        assert list(cookies) == ["oauth2_proxy_kubeflow"]
        approvals = [(e["method"], e["status"]) for e in sb.controls.request_log() if e["path"] == "/dex/approval"]
        assert approvals == [("GET", 200), ("POST", 303)]
        if "," in connectors:
            assert any(e["path"] == "/dex/auth" and e["status"] == 200 for e in sb.controls.request_log())
