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
from tests.connection.kfp_fixtures import NAMESPACE, PASSWORD, USER, serve_in_thread


@pytest.fixture
def dex_sb(sandbox_factory):
    return sandbox_factory("dex")


async def until(condition, timeout: float = 10.0) -> None:
    """Wait for ``condition()`` to hold (checked as the event loop runs), or fail the test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.005)


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


async def test_html_instead_of_json_with_a_session_is_not_json_either(dex_sb):
    """No redirect is followed, so a page answering 200 is never a login page: behind the
    gateway it is the dashboard or the KFP UI. The session stays good."""
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
        with pytest.raises(KFPConnectError) as err:
            await conn.dashboard_request("GET", "pipeline/")
        assert err.value.code == "not_json" and conn.state == "connected"
        assert conn.headers()
    finally:
        await conn.close()


async def test_optional_dashboard_calls_never_touch_the_connection(dex_sb):
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
        dex_sb.controls.expire_sessions()
        response = await conn.dashboard_request("GET", "api/workgroup/env-info", optional=True)
        assert response.status_code == 401 and conn.state == "connected" and conn.problem is None
        sent = response.request.headers
        assert sent["accept"] == "application/json" and "oauth2_proxy_kubeflow=" in sent["cookie"]
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
    with pytest.raises(KFPConnectError) as err:
        SessionCookies.parse("abc123")
    assert err.value.code == "bad_request" and "abc123" not in str(err.value.problem), err.value.problem
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


async def test_concurrent_first_requests_all_wait_for_detection(sandbox_factory):
    """Requests arriving together on first use must not see a half-started connection."""
    sb = sandbox_factory("standalone")
    sb.controls.latency(0.2)  # detection takes a while, as over a real network
    conn = connection_for(sb)

    async def first_use() -> str:
        await conn.start()
        return conn.state

    try:
        assert await asyncio.gather(*(first_use() for _ in range(5))) == ["connected"] * 5
    finally:
        sb.controls.latency(0)
        await conn.close()


async def test_sign_out_during_a_renewal_stays_signed_out(dex_sb):
    """A "keep me signed in" renewal that finishes after the person signed out is dropped."""
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD, keep_signed_in=True)
        dex_sb.controls.expire_sessions()
        dex_sb.controls.clear_log()
        dex_sb.controls.latency(0.1)  # the Dex walk takes several requests: time to sign out
        pending = asyncio.ensure_future(conn.request("GET", "pipelines", params={"namespace": NAMESPACE}))
        await until(lambda: any(e["path"].startswith("/dex/") for e in dex_sb.controls.request_log()))
        assert not pending.done()  # the renewal is walking through Dex right now
        conn.logout()
        with pytest.raises(KFPConnectError) as err:
            await pending
        assert err.value.code == "not_signed_in"
        assert conn.state == "signed_out" and conn.credentials is None
    finally:
        dex_sb.controls.latency(0)
        await conn.close()


def test_a_host_no_request_can_go_to_is_a_bad_url():
    from jupyter_kfp_connect.connection.config import normalise_host

    assert normalise_host("kf.example.com/pipeline/#/pipelines") == "https://kf.example.com/pipeline/"[:-1]
    for text in ("https://kf.example.com:abc/pipeline", "http://[::1", "ftp://kf.example.com", "http://"):
        with pytest.raises(KFPConnectError) as err:
            normalise_host(text)
        assert err.value.code == "bad_url" and err.value.status == 400 and "https://HOST/pipeline" in err.value.problem.fix


async def test_a_configured_bad_host_is_reported_not_a_crash():
    conn = Connection("tester", resolve({"host": "https://kf.example.com:abc/pipeline"}, {}))
    try:
        await conn.start()
        assert conn.state == "error" and conn.problem.code == "bad_url"
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "healthz")
        assert err.value.code == "bad_url"
    finally:
        await conn.close()


@pytest.fixture
def not_kfp():
    """A web server in front of nothing: nginx-style HTML error pages under ``/err/CODE/``
    and a 308 of everything under ``/moved/`` to the same path over https."""
    import tornado.web

    class ErrorPage(tornado.web.RequestHandler):
        def get(self, code: str, _rest: str) -> None:
            self.set_status(int(code))
            self.set_header("Content-Type", "text/html")
            self.finish(f"<html><body><center><h1>{code} {self._reason}</h1></center><hr>nginx</body></html>")

    class Moved(tornado.web.RequestHandler):
        def get(self, _rest: str) -> None:
            self.redirect(f"https://{self.request.host}{self.request.uri}", status=308)

    port, stop = serve_in_thread(tornado.web.Application([(r"/err/(\d+)/(.*)", ErrorPage),
                                                          (r"/moved/(.*)", Moved)]))
    yield f"http://127.0.0.1:{port}"
    stop()


async def test_an_html_error_page_is_not_an_expired_session(dex_sb, not_kfp):
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD, keep_signed_in=True)
        dex_sb.controls.clear_log()
        for code in (404, 502):
            response_or_error = None
            try:  # through the connection's own sender, with the session's cookies
                response_or_error = await conn._send("GET", f"{not_kfp}/err/{code}/apis/v2beta1/pipelines")
            except KFPConnectError as err:
                response_or_error = err
            if code == 404:
                assert isinstance(response_or_error, KFPConnectError) and response_or_error.code == "not_json"
            else:
                assert response_or_error.status_code == 502
        assert conn.state == "connected"
        # no sign-in was attempted for a page that only said "not found" or "bad gateway"
        assert not [r for r in dex_sb.controls.request_log() if "/dex/" in r["path"]]
    finally:
        await conn.close()


async def test_a_redirect_to_https_is_http_vs_https_not_a_login(not_kfp):
    from jupyter_kfp_connect.connection import detect

    async with httpx.AsyncClient() as client:
        result = await detect.probe(client, f"{not_kfp}/moved/pipeline")
    assert result.verdict == "http_vs_https"
    assert result.problem.details["suggestion"] == not_kfp.replace("http://", "https://") + "/moved/pipeline"


async def test_a_failed_sign_in_keeps_the_session_that_works(dex_sb):
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD, keep_signed_in=True)
        generation = conn.generation
        with pytest.raises(KFPConnectError) as err:
            await conn.login(auth="dex", username="alice@example.com", password="typo")
        assert err.value.code == "invalid_credentials"
        assert conn.state == "connected" and conn.username == USER and conn.keep_signed_in
        assert conn.generation == generation and conn.problem is None
        answer = await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert answer.status_code == 200
        with pytest.raises(KFPConnectError) as err:
            await conn.login(auth="dex", username=USER, password=PASSWORD, namespace="Not_A_Namespace")
        assert err.value.code == "bad_request" and conn.state == "connected"
        conn.logout()
        with pytest.raises(KFPConnectError) as err:  # signed out first: nothing to keep
            await conn.login(auth="dex", username=USER, password="typo")
        assert err.value.code == "invalid_credentials"
        assert conn.state == "signed_out"
    finally:
        await conn.close()


async def test_dex_down_during_a_renewal_keeps_the_password_and_says_why(dex_sb):
    """Dex itself is down (the gateway drops its requests) while KFP still answers."""
    conn = connection_for(dex_sb)
    try:
        await conn.login(auth="dex", username=USER, password=PASSWORD, keep_signed_in=True)
        dex_sb.controls.expire_sessions()
        dex_sb.controls.clear_log()
        dex_sb.controls.fail_next(1, "drop", path="/dex/")
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert err.value.code == "unreachable", err.value.problem  # the cause, not "session expired"
        assert conn.state == "expired" and conn.keep_signed_in and conn.problem.code == "unreachable"
        assert [e["status"] for e in dex_sb.controls.request_log() if e["path"].startswith("/dex/")][:1] == ["dropped"]
        answer = await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})  # Dex is back
        assert answer.status_code == 200 and conn.state == "connected"
    finally:
        await conn.close()
