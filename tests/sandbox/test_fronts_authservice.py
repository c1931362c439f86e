"""Kubeflow <= 1.8 front (oidc-authservice + Dex): every unauthenticated request is a 302 to Dex,
and a kfp.Client with an expired session silently gets the login page back."""

import asyncio

import httpx
import pytest

from jupyter_kfp_connect.connection.dex import dex_login
from jupyter_kfp_connect.sandbox import Sandbox

NS = "kubeflow-user-example-com"


@pytest.fixture(scope="module")
def gateway():
    with Sandbox(mode="authservice") as sb:
        yield sb


@pytest.fixture
def sandbox(gateway):
    gateway.controls.reset()
    return gateway


def login(sb, username="user@example.com", password="12341234") -> httpx.Cookies:
    async def walk():
        async with httpx.AsyncClient(timeout=10) as client:
            await dex_login(client, sb.kfp_host, username, password)
            return client.cookies

    return asyncio.run(walk())


def kfp_client(sb, cookies):
    import kfp

    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return kfp.Client(host=sb.kfp_host, cookies=header, namespace=NS)


def test_every_unauthenticated_request_is_redirected_to_dex(sandbox, http):
    for path in ("/pipeline/apis/v2beta1/pipelines?namespace=x", "/pipeline", "/api/workgroup/env-info"):
        response = http.get(path)
        assert response.status_code == 302, path
        location = httpx.URL(response.headers["location"])
        assert location.path == "/dex/auth"
        assert location.params["redirect_uri"] == f"{sandbox.url}/authservice/oidc/callback"
        assert location.params["state"] == response.cookies["oidc_state_csrf"]


def test_login_returns_to_the_original_url_with_the_session_cookie(sandbox):
    with httpx.Client(base_url=sandbox.url, follow_redirects=True) as http:
        target = f"/pipeline/apis/v2beta1/pipelines?namespace={NS}"
        form_page = http.get(target)
        assert form_page.status_code == 200 and 'name="password"' in form_page.text
        done = http.post(str(form_page.url), data={"login": "user@example.com", "password": "12341234"})
        assert done.status_code == 200 and done.json() == {}
        assert str(done.url) == sandbox.url + target  # back where it started
        assert "authservice_session" in http.cookies
        # skipApprovalScreen: the password POST is a 303 straight to the callback.
        log = [(e["method"], e["path"], e["status"]) for e in sandbox.controls.request_log()]
        assert ("POST", "/dex/auth/local/login", 303) in log
        assert not any(path == "/dex/approval" for _, path, _ in log)


def test_cookie_attributes_and_logout_by_header(sandbox):
    """gorilla/sessions cookies from oidc-authservice: the session has Max-Age and Expires,
    SameSite=Lax, neither HttpOnly nor Secure; the state cookie is cleared after one use;
    /authservice/logout takes the session in Authorization: Bearer, not the cookie."""
    seen: list[str] = []

    async def record(response):
        seen.extend(response.headers.get_list("set-cookie"))

    async def walk():
        async with httpx.AsyncClient(timeout=10, event_hooks={"response": [record]}) as client:
            await dex_login(client, sandbox.kfp_host, "user@example.com", "12341234")
            return client.cookies["authservice_session"]

    value = asyncio.run(walk())
    session = next(c for c in seen if c.startswith("authservice_session="))
    attributes = sorted(a.strip().split("=")[0] for a in session.split(";")[1:])
    assert attributes == ["Expires", "Max-Age", "Path", "SameSite"] and "SameSite=Lax" in session
    assert "Max-Age=86401" in session
    assert any(c.startswith("oidc_state_csrf=;") and "Max-Age=0" in c for c in seen)

    with httpx.Client(base_url=sandbox.url) as http:
        assert http.post("/authservice/logout", cookies={"authservice_session": value}).status_code == 401
        done = http.post("/authservice/logout", headers={"Authorization": f"Bearer {value}"})
        assert done.status_code == 201 and done.json() == {"afterLogoutURL": "/"}
        assert http.get("/pipeline", cookies={"authservice_session": value}).status_code == 302


def test_kfp_client_works_then_gets_the_login_page_when_the_session_expires(sandbox, compiled):
    sandbox.controls.seed(NS, 2)
    cookies = login(sandbox)
    assert set(cookies.keys()) == {"authservice_session"}
    client = kfp_client(sandbox, cookies)
    assert client.list_pipelines(namespace=NS).total_size == 2
    client.upload_pipeline(str(compiled["tiny"]), pipeline_name="from-authservice", namespace=NS)
    assert client.list_pipelines(namespace=NS).total_size == 3

    sandbox.controls.expire_sessions()
    sandbox.controls.clear_log()
    listed = client.list_pipelines(namespace=NS)
    # What a real cluster does to kfp.Client: it follows the 302 to Dex's HTML and returns an
    # object whose fields are all None instead of raising.
    assert listed.pipelines is None and listed.total_size is None
    statuses = [(e["path"], e["status"]) for e in sandbox.controls.request_log()]
    assert statuses[0] == ("/pipeline/apis/v2beta1/pipelines", 302)
    assert statuses[-1] == ("/dex/auth/local/login", 200)


def test_wrong_password_keeps_the_form(sandbox):
    from jupyter_kfp_connect.errors import KFPConnectError

    with pytest.raises(KFPConnectError) as caught:
        login(sandbox, password="wrong")
    assert caught.value.code == "invalid_credentials"
    assert "wrong" not in caught.value.problem.message
    assert not any(e["path"].endswith("/callback") for e in sandbox.controls.request_log())
