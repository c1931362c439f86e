"""Kubeflow 1.9+ front (oauth2-proxy + Dex): what a browser, httpx and the real kfp.Client meet."""

import asyncio
import time

import httpx
import pytest

from jupyter_kfp_connect.connection.dex import dex_login, read_page
from jupyter_kfp_connect.errors import KFPConnectError
from jupyter_kfp_connect.sandbox import Sandbox

NS = "kubeflow-user-example-com"
USER, PASSWORD = "user@example.com", "12341234"


@pytest.fixture(scope="module")
def gateway():
    with Sandbox(mode="dex") as sb:
        yield sb


@pytest.fixture
def sandbox(gateway):
    gateway.controls.reset()
    return gateway


def login(sb, username=USER, password=PASSWORD, connector="local") -> httpx.Cookies:
    async def walk():
        async with httpx.AsyncClient(timeout=10) as client:
            await dex_login(client, sb.kfp_host, username, password, connector)
            return client.cookies

    return asyncio.run(walk())


def body_text(error) -> str:
    body = error.body
    return body.decode() if isinstance(body, bytes) else body


def kfp_client(sb, cookies: httpx.Cookies, namespace=NS):
    import kfp

    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return kfp.Client(host=sb.kfp_host, cookies=header, namespace=namespace)


def test_unauthenticated_api_routes_get_401_empty_json(sandbox, http):
    for path in ("/pipeline/apis/v2beta1/pipelines", "/apis/v2beta1/healthz", "/ml_metadata/x",
                 "/api/workgroup/env-info"):
        response = http.get(path)
        assert response.status_code == 401, path
        assert response.text == "{}"
        assert response.headers["content-type"].startswith("application/json")


def test_unauthenticated_page_gets_403_sign_in_form(sandbox, http):
    response = http.get("/pipeline")
    assert response.status_code == 403
    form = read_page(response).start_form
    assert form is not None and form.method == "GET" and form.fields == {"rd": "/pipeline"}

    start = http.get("/oauth2/start", params={"rd": "/pipeline"})
    assert start.status_code == 302
    location = httpx.URL(start.headers["location"])
    assert location.path == "/dex/auth"
    assert location.params["client_id"] == "kubeflow-oidc-authservice"
    assert location.params["redirect_uri"] == f"{sandbox.url}/oauth2/callback"
    assert location.params["response_type"] == "code"
    assert "openid" in location.params["scope"] and location.params["state"].endswith(":/pipeline")
    assert "oauth2_proxy_kubeflow_csrf" in start.cookies


def test_kfp_client_lists_uploads_and_checks_health_after_dex_login(sandbox, compiled):
    cookies = login(sandbox)
    assert set(cookies.keys()) == {"oauth2_proxy_kubeflow"}  # the CSRF cookie was cleared
    sandbox.controls.seed(NS, 3)
    client = kfp_client(sandbox, cookies)

    listed = client.list_pipelines(namespace=NS, page_size=10)
    assert listed.total_size == 3 and len(listed.pipelines) == 3
    uploaded = client.upload_pipeline(str(compiled["tiny"]), pipeline_name="tiny-from-kfp", namespace=NS)
    assert uploaded.pipeline_id and uploaded.namespace == NS
    assert client.list_pipelines(namespace=NS).total_size == 4
    assert client.get_kfp_healthz().multi_user is True

    entries = [e for e in sandbox.controls.request_log() if "/apis/" in e["path"]]
    assert entries and {e["identity"] for e in entries} == {USER}


def test_dashboard_env_info_lists_profile_bindings(sandbox):
    with httpx.Client(base_url=sandbox.url, cookies=login(sandbox, "alice@example.com", "alicepass")) as http:
        info = http.get("/api/workgroup/env-info").json()
    assert info["user"] == "alice@example.com"
    assert info["isClusterAdmin"] is False
    assert info["platform"]["kubeflowVersion"] and info["platform"]["logoutUrl"] == "/oauth2/sign_out"
    assert info["namespaces"] == [
        {"user": "alice@example.com", "namespace": "alice", "role": "owner"},
        {"user": "alice@example.com", "namespace": NS, "role": "contributor"},
    ]


def test_wrong_password_rerenders_the_form(sandbox, http):
    start = http.get("/oauth2/start", params={"rd": "/pipeline"})
    to_connector = http.get(start.headers["location"])
    assert to_connector.status_code == 302 and to_connector.headers["location"].startswith("/dex/auth/local?")
    to_form = http.get(to_connector.headers["location"])
    form_url = to_form.headers["location"]
    assert form_url.startswith("/dex/auth/local/login?")
    form = read_page(http.get(form_url)).login_form
    assert form.password_field == "password" and "login" in form.fields

    wrong = http.post(form_url, data={"login": USER, "password": "nope"})
    assert wrong.status_code == 200
    assert "Invalid Email Address and password." in wrong.text
    assert read_page(wrong).login_form is not None
    assert "nope" not in wrong.text

    with pytest.raises(KFPConnectError) as caught:
        login(sandbox, password="nope")
    assert caught.value.code == "invalid_credentials"


def test_expired_session_gives_401_empty_json_to_kfp_client(sandbox):
    from kfp_server_api.exceptions import ApiException

    client = kfp_client(sandbox, login(sandbox))
    assert client.list_pipelines(namespace=NS).total_size is None  # empty namespace, but signed in
    assert sandbox.controls.expire_sessions() == 1
    with pytest.raises(ApiException) as caught:
        client.list_pipelines(namespace=NS)
    assert caught.value.status == 401 and body_text(caught.value) == "{}"


def test_rbac_denial_is_kfp_permission_denied(sandbox):
    from kfp_server_api.exceptions import ApiException

    client = kfp_client(sandbox, login(sandbox), namespace="alice")
    with pytest.raises(ApiException) as caught:
        client.list_pipelines(namespace="alice")
    assert caught.value.status == 403
    body = httpx.Response(403, content=caught.value.body).json()
    assert body["code"] == 7 and "user@example.com" in body["message"]

    sandbox.rbac.grant(USER, "alice", "view")
    assert client.list_pipelines(namespace="alice").total_size is None


def test_chooser_approval_and_ldap():
    with Sandbox(mode="dex", connectors="local,ldap", approval=True) as sb, \
            httpx.Client(base_url=sb.url) as http:
        start = http.get("/oauth2/start", params={"rd": "/"})
        chooser = http.get(start.headers["location"])
        assert chooser.status_code == 200
        assert set(read_page(chooser).connector_links()) == {"local", "ldap"}

        cookies = login(sb, "ldapuser", "ldappass", "ldap")
        assert "oauth2_proxy_kubeflow" in cookies
        kinds = [e["path"] for e in sb.controls.request_log()]
        assert "/dex/approval" in kinds and "/dex/auth/ldap/login" in kinds
        approvals = [e for e in sb.controls.request_log() if e["path"] == "/dex/approval"]
        assert [e["method"] for e in approvals] == ["GET", "POST"]

        with pytest.raises(KFPConnectError) as caught:
            login(sb, connector="github")
        assert caught.value.code == "unknown_connector"
        assert caught.value.problem.details["connectors"] == ["ldap", "local"]


def test_session_lifetime_and_cookie_attributes():
    with Sandbox(mode="dex", session_lifetime=0.5) as sb:
        cookies = login(sb)
        with httpx.Client(base_url=sb.url, cookies=cookies) as http:
            assert http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS}).status_code == 200
            time.sleep(0.6)
            assert http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS}).status_code == 401
        raw = [e for e in sb.controls.request_log() if e["path"] == "/oauth2/callback"]
        assert raw and raw[0]["status"] == 302 and raw[0]["identity"] == USER


def test_callback_without_csrf_cookie_is_refused(sandbox, http):
    response = http.get("/oauth2/callback", params={"code": "x", "state": "nonce:/"})
    assert response.status_code == 403
    assert "oauth2_proxy_kubeflow" not in response.cookies


def test_bearer_tokens_bypass_oauth2_proxy(sandbox, http):
    token = sandbox.controls.tokens.issue(NS)
    ok = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                  headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                   headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and bad.text == "Jwt verification fails"
    assert sandbox.controls.request_log()[0]["identity"] == f"system:serviceaccount:{NS}:default-editor"


def test_a_client_cannot_spoof_the_user_header(sandbox, http):
    response = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                        headers={"kubeflow-userid": USER})
    assert response.status_code == 401 and response.text == "{}"
