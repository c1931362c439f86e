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
    params = dict(location.params)
    # oauth2-proxy's doOAuthStart with Kubeflow's oauth2_proxy.cfg: relative redirect_url, PKCE
    # S256, prompt=none, an OIDC nonce, state "<csrf nonce>:<rd>".
    assert params["client_id"] == "kubeflow-oidc-authservice"
    assert params["redirect_uri"] == "/oauth2/callback"
    assert params["response_type"] == "code" and params["scope"] == "profile email groups openid"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["prompt"] == "none" and params["nonce"]
    assert params["state"].endswith(":/pipeline")
    csrf = next(h for h in start.headers.get_list("set-cookie") if h.startswith("oauth2_proxy_kubeflow_csrf="))
    assert "Max-Age=900" in csrf and "HttpOnly" in csrf
    assert "Expires" not in csrf and "SameSite" not in csrf and "Secure" not in csrf


def test_session_cookie_has_oauth2_proxy_attributes(sandbox, http):
    """MakeCookieFromOptions with Kubeflow's cookie_expire 24h, FORCE_HTTPS=false and the
    default cookie_samesite "": Max-Age only, HttpOnly, no Secure, no SameSite."""
    async def walk():
        async with httpx.AsyncClient(timeout=10, event_hooks={"response": [record]}) as client:
            await dex_login(client, sandbox.kfp_host, USER, PASSWORD)

    seen: list[str] = []

    async def record(response):
        seen.extend(h for h in response.headers.get_list("set-cookie") if h.startswith("oauth2_proxy_kubeflow="))

    asyncio.run(walk())
    # The 403 sign-in page clears the cookie (SignInPage -> ClearSessionCookie); the callback sets it.
    assert len(seen) == 2 and "Max-Age=0" in seen[0]
    attributes = [a.strip() for a in seen[1].split(";")[1:]]
    assert sorted(attributes) == ["HttpOnly", "Max-Age=86401", "Path=/"]  # 24 h (+1 s, see fronts.py)


def test_gateway_root_is_the_dashboard_and_kfp_lives_under_pipeline(sandbox):
    """The ml-pipeline-ui VirtualService matches prefix /pipeline, the dashboard's matches /:
    /apis/v2beta1 at the root reaches the dashboard's app.get('/*') (index.html, 200)."""
    with httpx.Client(base_url=sandbox.url, cookies=login(sandbox)) as http:
        kfp = http.get("/pipeline/apis/v2beta1/healthz")
        assert kfp.status_code == 200 and kfp.json()["multi_user"] is True
        root = http.get("/apis/v2beta1/healthz")
        assert root.status_code == 200 and root.headers["content-type"].startswith("text/html")
        assert "Central Dashboard" in root.text
        posted = http.post("/apis/v2beta1/pipelines", json={})
        assert posted.status_code == 404 and "Cannot POST /apis/v2beta1/pipelines" in posted.text
        unknown_api = http.get("/api/nothing")
        assert unknown_api.status_code == 404
        assert unknown_api.json() == {"error": "Could not find the route you're looking for"}
        unknown_kfp = http.get("/pipeline/apis/v2beta1/nothing")
        assert unknown_kfp.status_code == 404 and unknown_kfp.json()["code"] == 5
        assert http.get("/").status_code == 200


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
    sandbox.rbac.grant("alice@example.com", "team-view", "view")
    with httpx.Client(base_url=sandbox.url, cookies=login(sandbox, "alice@example.com", "alicepass")) as http:
        response = http.get("/api/workgroup/env-info")
    info = response.json()
    assert response.headers["content-type"].startswith("application/json")
    assert info["user"] == "alice@example.com"
    assert info["isClusterAdmin"] is False
    assert info["platform"]["kubeflowVersion"] and info["platform"]["logoutUrl"] == "/oauth2/sign_out"
    # KFAM's bindings, every role, named as the dashboard's roleMap names them.
    assert info["namespaces"] == [
        {"user": "alice@example.com", "namespace": "alice", "role": "owner"},
        {"user": "alice@example.com", "namespace": NS, "role": "contributor"},
        {"user": "alice@example.com", "namespace": "team-view", "role": "viewer"},
    ]


@pytest.mark.parametrize("dashboard,status,kind", [("html", 200, "text/html"), ("error", 400, "application/json")])
def test_env_info_from_another_app_or_a_failing_dashboard(dashboard, status, kind):
    with Sandbox(mode="dex", dashboard=dashboard) as sb, \
            httpx.Client(base_url=sb.url, cookies=login(sb)) as http:
        response = http.get("/api/workgroup/env-info")
    assert response.status_code == status and response.headers["content-type"].startswith(kind)
    if dashboard == "error":
        assert response.json() == {"error": "Unexpected error getting environment info"}


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
    assert wrong.status_code == 401  # Dex >= 2.37 (templates.password: lastWasInvalid)
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
        links = read_page(chooser).connector_links()
        assert list(links) == ["local", "ldap"]  # sorted by connector name: "Email" < "LDAP"
        query = httpx.URL(links["local"]).params
        assert query["code_challenge"] and query["redirect_uri"] == "/oauth2/callback"

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


def _to_approval(http, sb):
    start = http.get("/oauth2/start", params={"rd": "/"})
    to_form = http.get(http.get(start.headers["location"]).headers["location"])
    form_url = to_form.headers["location"]
    posted = http.post(form_url, data={"login": USER, "password": PASSWORD})
    assert posted.status_code == 303
    return posted.headers["location"]


def test_dex_approval_page_is_dex_s_template():
    """approval.html: no action, hidden req and approval, unnamed buttons; handleApproval reads
    req and hmac with FormValue (body or query); a rejection is a 500 "Approval rejected."."""
    with Sandbox(mode="dex", approval=True) as sb, httpx.Client(base_url=sb.url) as http:
        url = _to_approval(http, sb)
        target = httpx.URL(url)
        assert target.path == "/dex/approval" and set(target.params) == {"req", "hmac"}
        shown = http.get(url)
        assert shown.status_code == 200 and "Dex Login Application would like to:" in shown.text
        forms = read_page(shown).forms
        assert [f.action for f in forms] == ["", ""] and [f.method for f in forms] == ["POST", "POST"]
        assert [f.fields for f in forms] == [{"req": target.params["req"], "approval": "approve"},
                                             {"req": target.params["req"], "approval": "rejected"}]
        assert [f.buttons for f in forms] == [[], []]
        assert "View basic profile information" in shown.text and "View your groups" in shown.text

        assert http.post("/dex/approval", data={"req": target.params["req"], "approval": "approve"}).status_code == 401
        assert http.get("/dex/approval", params={"req": "nope", "hmac": "x"}).status_code == 500
        rejected = http.post(url, data={"req": target.params["req"], "approval": "rejected"})
        assert rejected.status_code == 500 and "Approval rejected." in rejected.text

        url = _to_approval(http, sb)
        granted = http.post(url, data={"req": httpx.URL(url).params["req"], "approval": "approve"})
        assert granted.status_code == 303 and granted.headers["location"].startswith("/oauth2/callback?code=")


def test_dex_skips_approval_straight_to_the_callback_and_honours_connector_id(sandbox, http):
    start = http.get("/oauth2/start", params={"rd": "/"})
    chosen = http.get(start.headers["location"] + "&connector_id=local")
    assert chosen.status_code == 302 and chosen.headers["location"].startswith("/dex/auth/local?")
    assert "connector_id" not in chosen.headers["location"]
    to_form = http.get(chosen.headers["location"])
    posted = http.post(to_form.headers["location"], data={"login": USER, "password": PASSWORD})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/oauth2/callback?code=")


def test_codes_need_their_pkce_verifier():
    from jupyter_kfp_connect.sandbox.dex_pages import AuthRequest, Dex, pkce_challenge

    dex = Dex()
    for verifier, accepted in (("the-verifier", True), ("another", False), ("", False)):
        req = dex.new_request(AuthRequest("c", "/oauth2/callback", "s", "openid", "local",
                                          code_challenge=pkce_challenge("the-verifier", "S256"),
                                          code_challenge_method="S256"))
        dex.request(req).identity = USER
        code = httpx.URL(dex.finish(req)).params["code"]
        assert (dex.exchange(code, verifier) == USER) is accepted
        assert dex.exchange(code, verifier) is None  # one use


def test_api_routes_and_accept_header_when_oauth2_proxy_sees_them():
    """Kubeflow's ext-authz hides Accept from oauth2-proxy; in front of KFP as a reverse proxy
    (no api_routes), isAjax decides: Accept: application/json is 401 {}, a page is the sign-in
    page, or with skip_provider_button a 302 into the login."""
    with Sandbox(mode="dex", api_routes="", skip_provider_button=True) as sb, httpx.Client(base_url=sb.url) as http:
        path = "/pipeline/apis/v2beta1/pipelines"
        ajax = http.get(path, headers={"Accept": "application/json"})
        assert ajax.status_code == 401 and ajax.text == "{}"
        also = http.get(path, headers={"Accept": "text/plain, application/json"})
        assert also.status_code == 401
        page = http.get(path, headers={"Accept": "application/json;q=0.9"})  # not exactly application/json
        assert page.status_code == 302 and httpx.URL(page.headers["location"]).path == "/dex/auth"
    with Sandbox(mode="dex") as sb, httpx.Client(base_url=sb.url) as http:
        # Kubeflow: Accept never reaches oauth2-proxy; the api_routes match decides.
        assert http.get("/pipeline", headers={"Accept": "application/json"}).status_code == 403
        assert http.get("/pipeline/apis/v2beta1/pipelines").status_code == 401


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
    from jupyter_kfp_connect.sandbox.tokens import KUBERNETES_AUDIENCE

    token = sandbox.controls.tokens.issue(NS)
    ok = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                  headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    # Istio's jwtRules name no audiences and KFP trusts the kubeflow-userid Istio sets from
    # `sub`: behind the gateway a token's audience is not checked.
    other = sandbox.controls.tokens.issue(NS, audience=KUBERNETES_AUDIENCE)
    assert http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                    headers={"Authorization": f"Bearer {other}"}).status_code == 200
    bad = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                   headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and bad.text == "Jwt verification fails"
    assert sandbox.controls.request_log()[0]["identity"] == f"system:serviceaccount:{NS}:default-editor"


def test_a_client_cannot_spoof_the_user_header(sandbox, http):
    response = http.get("/pipeline/apis/v2beta1/pipelines", params={"namespace": NS},
                        headers={"kubeflow-userid": USER})
    assert response.status_code == 401 and response.text == "{}"


def test_sign_out_clears_the_cookie_and_ends_the_session(sandbox):
    cookies = login(sandbox)
    with httpx.Client(base_url=sandbox.url, cookies=cookies) as http:
        out = http.get("/oauth2/sign_out", params={"rd": "/pipeline"})
        assert out.status_code == 302 and out.headers["location"] == "/pipeline"
        assert any(h.startswith("oauth2_proxy_kubeflow=;") for h in out.headers.get_list("set-cookie"))
    with httpx.Client(base_url=sandbox.url, cookies=cookies) as http:
        assert http.get("/pipeline/apis/v2beta1/healthz").status_code == 401
