"""Behind Kubeflow's gateway (oauth2-proxy or oidc-authservice in front of Dex): detection,
Dex login, wrong password, expiry with and without "keep me signed in", namespaces, RBAC and
Istio denials, pasted cookies and bearer tokens."""

from __future__ import annotations

import json

import httpx
import pytest

from jupyter_kfp_connect.connection.dex import dex_login
from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import NAMESPACE, PASSWORD, USER, error_code

DEX_LOGIN = {"auth": "dex", "username": USER, "password": PASSWORD}


@pytest.fixture(params=["dex", "authservice"])
def mode(request):
    return request.param


@pytest.fixture
def sb_options():
    return {}


@pytest.fixture
def sb(sandbox_factory, mode, sb_options):
    return sandbox_factory(mode, **sb_options)


@pytest.fixture
def kfp_config(sb, kfp_extra):
    return {"host": sb.kfp_host, **kfp_extra}


def kfp_app(jp_serverapp):
    return jp_serverapp.extension_manager.extension_points["jupyter_kfp_connect"].app


def dex_logins(sb) -> int:
    """How many times the password form was posted (the sandbox logs no bodies)."""
    return sum(1 for r in sb.controls.request_log() if r["method"] == "POST" and "/dex/auth" in r["path"])


async def test_detects_the_login_front(call, sb, mode):
    code, status = await call("GET", "status")
    assert code == 200
    assert status["state"] == "signed_out"
    assert status["login_required"] is True
    assert status["auth"] == "dex"
    assert status["front"] == ("oauth2-proxy" if mode == "dex" else "authservice")
    assert any("asks for a Kubeflow login" in s for s in status["detection"]["steps"])
    code, body = await call("GET", "namespaces")
    assert code == 401 and error_code(body) == "not_signed_in"


async def test_login_connects_with_namespace_from_dashboard(call, sb):
    code, status = await call("POST", "login", DEX_LOGIN)
    assert code == 200, status
    assert status["state"] == "connected"
    assert status["username"] == USER
    assert status["multi_user"] is True
    assert status["namespace"] == NAMESPACE and status["namespace_source"] == "dashboard"
    assert status["credential"]["kind"] == "dex"
    assert status["problem"] is None
    code, listing = await call("GET", "namespaces")
    assert code == 200
    assert listing["source"] == "dashboard" and listing["manual_entry"] is True
    assert {"name": NAMESPACE, "role": "owner"} in listing["namespaces"]
    code, result = await call("GET", "check")
    assert result["ok"] is True, result
    assert [c["id"] for c in result["checks"]] == ["endpoint", "reach", "signed_in", "api", "namespace"]


async def test_wrong_password_is_invalid_credentials(call, sb):
    code, body = await call("POST", "login", {**DEX_LOGIN, "password": "wrong-pass-99"})
    assert code == 401 and error_code(body) == "invalid_credentials"
    code, status = await call("GET", "status")
    assert status["state"] == "signed_out" and status["problem"]["code"] == "invalid_credentials"
    assert status["credential"] is None


async def test_expiry_without_keep_signed_in_asks_again(call, sb):
    await call("POST", "login", DEX_LOGIN)
    logins = dex_logins(sb)
    sb.controls.expire_sessions()
    code, result = await call("GET", "check")
    assert result["ok"] is False and result["problem"]["code"] == "session_expired"
    code, status = await call("GET", "status")
    assert status["state"] == "expired" and status["login_required"] is True
    code, body = await call("GET", "namespaces")
    assert code == 401 and error_code(body) == "session_expired"
    assert dex_logins(sb) == logins  # nobody signed in behind the user's back
    code, status = await call("POST", "login", DEX_LOGIN)
    assert status["state"] == "connected"


async def test_expiry_with_keep_signed_in_renews_once(call, sb, jp_serverapp):
    code, status = await call("POST", "login", {**DEX_LOGIN, "keep_signed_in": True})
    assert status["keep_signed_in"] is True
    generation = status["generation"]
    events = []
    for connection in kfp_app(jp_serverapp).connections:
        connection.add_listener(lambda event, conn: events.append(event))
    logins = dex_logins(sb)
    sb.controls.expire_sessions()
    code, listing = await call("GET", "namespaces")
    assert code == 200, listing
    assert NAMESPACE in [n["name"] for n in listing["namespaces"]]
    assert dex_logins(sb) == logins + 1
    assert events == ["relogin"]
    code, status = await call("GET", "status")
    assert status["state"] == "connected" and status["generation"] == generation + 1


async def test_relogin_that_fails_turns_to_expired(call, sb):
    await call("POST", "login", {**DEX_LOGIN, "keep_signed_in": True})
    sb.controls.expire_sessions()
    sb.front.dex.users = ()  # the password no longer works (changed in the directory)
    code, body = await call("GET", "namespaces")
    assert code == 401 and error_code(body) == "session_expired"
    code, status = await call("GET", "status")
    assert status["state"] == "expired" and status["keep_signed_in"] is False


@pytest.mark.parametrize("mode", ["dex"])
async def test_rbac_denied_in_someone_elses_namespace(call, sb):
    await call("POST", "login", DEX_LOGIN)
    code, body = await call("PUT", "namespace", {"namespace": "alice"})
    assert code == 200 and body == {"namespace": "alice", "source": "user"}
    code, result = await call("GET", "check")
    problem = result["problem"]
    assert result["ok"] is False and problem["code"] == "rbac_denied"
    assert problem["status"] == 403
    assert "kind: RoleBinding" in problem["yaml"] and "namespace: alice" in problem["yaml"]
    assert USER in problem["yaml"]


@pytest.mark.parametrize("mode", ["dex"])
@pytest.mark.parametrize("sb_options", [{"istio_rbac_namespaces": ["alice"]}])
async def test_istio_denied_with_authorization_policy(call, sb):
    await call("POST", "login", DEX_LOGIN)
    await call("PUT", "namespace", {"namespace": "alice"})
    code, result = await call("GET", "check")
    problem = result["problem"]
    assert problem["code"] == "istio_denied", result
    assert "kind: AuthorizationPolicy" in problem["yaml"]


async def test_remembered_namespace_survives_logout(call, sb, jp_data_dir):
    await call("POST", "login", DEX_LOGIN)
    code, body = await call("PUT", "namespace", {"namespace": "team-a"})
    assert code == 200
    await call("POST", "logout")
    code, status = await call("POST", "login", DEX_LOGIN)
    assert status["namespace"] == "team-a" and status["namespace_source"] == "remembered"
    saved = json.loads((jp_data_dir / "kfp_connect" / "namespaces.json").read_text())
    assert "team-a" in saved.values()
    code, body = await call("PUT", "namespace", {"namespace": "Not A Namespace!"})
    assert code == 400 and error_code(body) == "bad_request"


async def _session_cookie(sb) -> tuple[str, str]:
    async with httpx.AsyncClient() as client:
        await dex_login(client, sb.kfp_host, USER, PASSWORD)
        name = sb.front.cookie_name
        return name, client.cookies[name]


async def test_pasted_cookie(call, sb):
    name, value = await _session_cookie(sb)
    code, status = await call("POST", "login", {"auth": "cookie", "cookie": f"{name}={value}"})
    assert code == 200, status
    assert status["state"] == "connected" and status["credential"] == {"kind": "cookie", "cookie_names": [name]}
    # a bare value is named after the detected front
    await call("POST", "logout")
    code, status = await call("POST", "login", {"cookie": value})
    assert status["state"] == "connected"
    sb.controls.expire_sessions()
    code, body = await call("GET", "namespaces")
    assert error_code(body) == "session_expired"


@pytest.mark.parametrize("mode", ["dex"])
async def test_bearer_token_and_rejected_token(call, sb):
    token = sb.controls.tokens.issue(NAMESPACE)
    code, status = await call("POST", "login", {"auth": "token", "token": token, "namespace": NAMESPACE})
    assert code == 200, status
    assert status["state"] == "connected" and status["auth"] == "token"
    code, body = await call("POST", "login", {"auth": "token", "token": "not-a-real-token",
                                              "namespace": NAMESPACE})
    assert code == 401 and error_code(body) == "token_rejected", body


@pytest.mark.parametrize("mode", ["dex"])
async def test_wrong_path_found_after_login(call, sb):
    # /pipelines is not KFP, but oauth2-proxy guards it too: only a signed-in call can tell
    code, body = await call("POST", "login", {**DEX_LOGIN, "host": sb.url + "/pipelines"})
    assert code == 502 and error_code(body) == "wrong_path", body
    assert body["error"]["details"]["suggestion"] == sb.url + "/pipeline"


async def test_gateway_origin_without_pipeline_is_corrected(call, sb, mode):
    """Kubeflow's gateway mounts KFP under /pipeline and the dashboard at /: a host given as the
    bare origin signs in and is corrected (the dashboard would answer /apis/... with its page)."""
    code, status = await call("POST", "login", {**DEX_LOGIN, "host": sb.url})
    assert code == 200, status
    assert status["state"] == "connected" and status["host"] == sb.kfp_host
    assert status["api_base"] == sb.kfp_host and status["namespace"] == NAMESPACE
    assert any("/pipeline" in step for step in status["detection"]["steps"]), status["detection"]
    code, result = await call("GET", "check")
    assert result["ok"] is True, result


async def test_detection_corrects_a_configured_gateway_origin(call, sb, jp_serverapp):
    kfp_app(jp_serverapp).host = sb.url
    code, status = await call("GET", "status")
    assert status["host"] == sb.kfp_host and status["state"] == "signed_out", status
    assert status["config_sources"]["host"] == "config"
    assert any(f"using {sb.kfp_host}" in step for step in status["detection"]["steps"])
    code, status = await call("POST", "login", {k: v for k, v in DEX_LOGIN.items() if k != "host"})
    assert code == 200 and status["api_base"] == sb.kfp_host, status


@pytest.mark.parametrize("mode", ["dex"])
async def test_token_at_the_gateway_origin_is_wrong_path_with_the_url(call, sb):
    token = sb.controls.tokens.issue(NAMESPACE)
    code, body = await call("POST", "login", {"auth": "token", "token": token, "host": sb.url,
                                              "namespace": NAMESPACE})
    assert code == 502 and error_code(body) == "wrong_path", body
    assert body["error"]["details"]["suggestion"] == sb.kfp_host


@pytest.mark.parametrize("mode", ["dex"])
@pytest.mark.parametrize("sb_options", [{"dashboard": "html"}, {"dashboard": "error"}])
async def test_a_dashboard_that_answers_html_or_fails_does_not_fail_sign_in(call, sb):
    code, status = await call("POST", "login", DEX_LOGIN)
    assert code == 200, status
    assert status["state"] == "connected" and status["problem"] is None
    assert status["namespace"] == "" and status["namespace_source"] == ""
    code, listing = await call("GET", "namespaces")
    assert code == 200 and listing["source"] == "none" and listing["manual_entry"] is True
    code, status = await call("GET", "status")
    assert status["state"] == "connected"


@pytest.mark.parametrize("mode", ["dex"])
@pytest.mark.parametrize("sb_options", [{"api_routes": "", "skip_provider_button": True}])
async def test_api_calls_ask_for_json_so_an_expired_session_is_a_401(call, sb):
    """oauth2-proxy answers 401 {} instead of starting a login (302) when the request's Accept
    is application/json (isAjax), whatever its api_routes say."""
    code, status = await call("POST", "login", DEX_LOGIN)
    assert code == 200, status
    sb.controls.expire_sessions()
    sb.controls.clear_log()
    code, body = await call("GET", "pipelines", namespace=NAMESPACE)
    assert code == 401 and error_code(body) == "session_expired", body
    api = [(e["path"], e["status"]) for e in sb.controls.request_log()]
    assert api == [("/pipeline/apis/v2beta1/pipelines", 401)], api


@pytest.mark.parametrize("sb_options", [{"connectors": "local,ldap"}])
async def test_ldap_connector_from_the_chooser(call, sb):
    login = {"auth": "dex", "username": "ldapuser", "password": "ldappass", "connector": "ldap"}
    code, status = await call("POST", "login", login)
    assert code == 200, status
    assert status["connector"] == "ldap" and status["namespace"] == "ldapuser"
    code, body = await call("POST", "login", {**login, "connector": "local"})
    assert code == 401 and error_code(body) == "invalid_credentials"
    code, body = await call("POST", "login", {**login, "connector": "github"})
    assert code == 400 and error_code(body) == "bad_request"


async def test_one_person_one_session_on_a_single_user_server(call, jp_fetch, jp_serverapp, sb, monkeypatch):
    """Jupyter's own identity provider names every browser session anew; a second browser
    (or a script with the server token and no cookie) is still the same person and must not
    need its own Dex sign-in, nor leave another connection in memory."""
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    code, body = await call("POST", "login", DEX_LOGIN)
    assert code == 200 and body["state"] == "connected"
    for _ in range(3):  # no cookie: a new anonymous Jupyter user each time
        response = await jp_fetch("kfp-connect", "status", method="GET")
        other = json.loads(response.body)
        assert other["state"] == "connected" and other["username"] == USER
    assert [c.user_key for c in kfp_app(jp_serverapp).connections] == ["owner"]
