"""Connection behaviour below the handlers, against the sandbox: a page instead of JSON,
one renewal for many concurrent requests, listeners, and the Kubernetes API being absent."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from jupyter_kfp_connect.connection import k8s
from jupyter_kfp_connect.connection.config import resolve
from jupyter_kfp_connect.connection.credentials import BearerToken, Secret, SessionCookies, TokenFile
from jupyter_kfp_connect.connection.dex import dex_login
from jupyter_kfp_connect.connection.session import Connection
from jupyter_kfp_connect.errors import KFPConnectError
from tests.connection.kfp_fixtures import NAMESPACE, PASSWORD, USER


@pytest.fixture
def dex_sb(sandbox_factory):
    return sandbox_factory("dex")


def connection_for(sb) -> Connection:
    return Connection("tester", resolve({"host": sb.kfp_host}, {}))


async def test_html_instead_of_json_with_a_token_is_not_json(dex_sb):
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="token", token=dex_sb.controls.tokens.issue(NAMESPACE), namespace=NAMESPACE)
        # the dashboard page where JSON was expected
        with pytest.raises(KFPConnectError) as err:
            await conn.dashboard_request("GET", "pipeline/")
        assert err.value.code == "not_json"
        assert conn.state == "connected"  # a token does not expire into a login page
    finally:
        await conn.close()


async def test_html_instead_of_json_with_a_session_means_expired(dex_sb):
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
        with pytest.raises(KFPConnectError) as err:
            await conn.dashboard_request("GET", "pipeline/")
        assert err.value.code == "session_expired" and conn.state == "expired"
        with pytest.raises(KFPConnectError) as err:
            conn.headers()
        assert err.value.code == "session_expired"
    finally:
        await conn.close()


async def test_many_requests_after_expiry_renew_once(dex_sb):
    conn = connection_for(dex_sb)
    events: list[str] = []
    conn.add_listener(lambda event, c: events.append(event))
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD, keep_signed_in=True)
        assert events == ["login"]
        dex_sb.controls.expire_sessions()
        dex_sb.controls.clear_log()
        answers = await asyncio.gather(*(conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
                                         for _ in range(5)))
        assert [a.status_code for a in answers] == [200] * 5
        posts = [r for r in dex_sb.controls.request_log() if r["method"] == "POST" and "/dex/auth" in r["path"]]
        assert len(posts) == 1
        assert events == ["login", "relogin"]
        conn.logout()
        assert events[-1] == "logout" and conn.state == "signed_out"
    finally:
        await conn.close()


async def test_listener_can_be_removed_and_its_errors_are_contained(sandbox_factory):
    sb = sandbox_factory("standalone")
    conn = connection_for(sb)
    calls: list[str] = []
    remove = conn.add_listener(lambda event, c: calls.append(event))
    conn.add_listener(lambda event, c: 1 / 0)
    try:
        await conn.start()
        assert conn.state == "connected" and calls == ["login"]
        remove()
        conn.logout()
        assert calls == ["login"]
    finally:
        await conn.close()


async def test_access_review_without_kubernetes_api(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    report = await k8s.access_review(NAMESPACE)
    assert report.available is False and report.allowed == {}
    assert "not available" in report.message and "permissions will be learnt" in report.message


def test_secrets_never_print(tmp_path):
    assert "hunter2" not in repr(Secret("hunter2")) + str(Secret("hunter2"))
    cookies = SessionCookies.parse("oauth2_proxy_kubeflow=abc123; other=xyz")
    assert cookies.names() == ["oauth2_proxy_kubeflow", "other"]
    assert cookies.headers() == {"Cookie": "oauth2_proxy_kubeflow=abc123; other=xyz"}
    assert "abc123" not in repr(cookies.describe())
    assert SessionCookies.parse("abc123", "authservice_session").names() == ["authservice_session"]
    with pytest.raises(KFPConnectError):
        SessionCookies.parse("abc123")
    assert BearerToken("Bearer tok").headers() == {"Authorization": "Bearer tok"}


def test_token_file_is_read_every_time(tmp_path):
    path = tmp_path / "token"
    token = TokenFile(str(path), NAMESPACE)
    with pytest.raises(KFPConnectError) as err:
        token.headers()
    assert err.value.code == "no_token_mounted" and "no pipelines token" in err.value.problem.message
    path.write_text("first")
    assert token.headers() == {"Authorization": "Bearer first"}
    path.write_text("second\n")
    assert token.headers() == {"Authorization": "Bearer second"}
    path.unlink()
    with pytest.raises(KFPConnectError) as err:
        token.headers()
    assert "disappeared" in err.value.problem.message
    assert token.service_account() == (NAMESPACE, "default-editor")


async def test_dex_login_leaves_cookies_only_in_its_own_client(dex_sb):
    async with httpx.AsyncClient() as client:
        await dex_login(client, dex_sb.kfp_host, USER, PASSWORD)
        assert dex_sb.front.cookie_name in client.cookies
