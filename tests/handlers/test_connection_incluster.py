"""Inside a cluster: the mounted pipelines token (re-read on every request), its rotation and
deletion, a rejected token, RBAC and Istio denials, and the Kubernetes API being absent."""

from __future__ import annotations

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import NAMESPACE

IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"


@pytest.fixture
def sb_options():
    return {}


@pytest.fixture
def sb(sandbox_factory, sb_options):
    return sandbox_factory("in-cluster", **sb_options)


@pytest.fixture
def kfp_config(sb, in_cluster):
    return {"host": sb.kfp_host, **in_cluster}


@pytest.fixture
def token_path(in_cluster):
    return in_cluster["token_path"]


def kfp_app(jp_serverapp):
    return jp_serverapp.extension_manager.extension_points["jupyter_kfp_connect"].app


async def test_no_token_mounted_shows_the_poddefault(call, token_path):
    code, status = await call("GET", "status")
    assert status["state"] == "error" and status["in_cluster"] is True
    problem = status["problem"]
    assert problem["code"] == "no_token_mounted"
    assert "kind: PodDefault" in problem["yaml"]
    assert f"namespace: {NAMESPACE}" in problem["yaml"]
    assert "audience: pipelines.kubeflow.org" in problem["yaml"]
    assert token_path in problem["yaml"]
    code, result = await call("GET", "check")
    assert result["problem"]["code"] == "no_token_mounted"
    assert [c["id"] for c in result["checks"]][:2] == ["endpoint", "token"]


@pytest.fixture
def outside_a_pod(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)


@pytest.mark.parametrize("kfp_config", [{"auth": "in-cluster"}])
async def test_check_and_status_agree_on_explicit_in_cluster_auth_without_a_token(
        call, sb, in_cluster, jp_serverapp, outside_a_pod):
    app = kfp_app(jp_serverapp)
    app.host, app.token_path, app.namespace_path = sb.kfp_host, in_cluster["token_path"], in_cluster["namespace_path"]
    code, status = await call("GET", "status")
    assert status["in_cluster"] is False and status["problem"]["code"] == "no_token_mounted", status
    code, result = await call("GET", "check")
    assert result["ok"] is False and result["problem"]["code"] == "no_token_mounted", result
    assert [c["id"] for c in result["checks"]][:2] == ["endpoint", "token"]


@pytest.mark.parametrize("kfp_config", [{"auth": "dex"}])
async def test_check_and_status_agree_on_explicit_dex_auth_inside_a_pod(call, sb, in_cluster, jp_serverapp):
    app = kfp_app(jp_serverapp)
    app.host, app.token_path, app.namespace_path = sb.kfp_host, in_cluster["token_path"], in_cluster["namespace_path"]
    code, status = await call("GET", "status")
    code, result = await call("GET", "check")
    assert result["problem"]["code"] == (status["problem"] or {}).get("code", "not_signed_in"), (status, result)
    assert "token" not in [c["id"] for c in result["checks"]]


@pytest.mark.parametrize("kfp_config", [{}])
async def test_default_in_cluster_host(call, in_cluster, jp_serverapp):
    # no host configured: the in-cluster service name, as kfp.Client does
    app = kfp_app(jp_serverapp)
    app.token_path, app.namespace_path = in_cluster["token_path"], in_cluster["namespace_path"]
    code, status = await call("GET", "status")
    assert status["host"] == IN_CLUSTER_HOST and status["config_sources"]["host"] == "default"
    assert status["ui_base"] == ""


async def test_mounted_token_connects_in_pod_namespace(call, sb, token_path):
    sb.controls.tokens.write_token(token_path, NAMESPACE)
    code, status = await call("GET", "status")
    assert status["state"] == "connected", status
    assert status["auth"] == "in-cluster"
    assert status["namespace"] == NAMESPACE and status["namespace_source"] == "pod"
    assert status["multi_user"] is True
    assert status["credential"] == {"kind": "in-cluster", "token_path": token_path}
    # no Kubernetes API on this machine: said clearly, and not fatal
    access = status["access"]
    assert access["available"] is False and "not available" in access["message"]
    code, listing = await call("GET", "namespaces")
    assert listing["namespaces"] == [{"name": NAMESPACE, "role": "pod"}] and listing["source"] == "pod"
    code, result = await call("GET", "check")
    assert result["ok"] is True, result
    permissions = result["checks"][-1]
    assert permissions["id"] == "permissions" and permissions["skipped"] is True


async def test_token_rotation_is_picked_up(call, sb, token_path, jp_serverapp):
    sb.controls.tokens.write_token(token_path, NAMESPACE)
    code, status = await call("GET", "status")
    assert status["state"] == "connected"
    connection = next(iter(kfp_app(jp_serverapp).connections))
    before = connection.headers()["Authorization"]
    sb.controls.tokens.rotate(token_path)  # the old token is revoked at once
    after = connection.headers()["Authorization"]
    assert after != before and after.endswith(open(token_path).read().strip())
    code, result = await call("GET", "check")
    assert result["ok"] is True, result


async def test_token_deleted_then_restored(call, sb, token_path):
    sb.controls.tokens.write_token(token_path, NAMESPACE)
    await call("GET", "status")
    sb.controls.tokens.delete(token_path)
    code, result = await call("GET", "check")
    assert result["problem"]["code"] == "no_token_mounted"
    code, status = await call("GET", "status")
    assert status["state"] == "error" and "disappeared" in status["problem"]["message"]
    sb.controls.tokens.write_token(token_path, NAMESPACE)
    code, result = await call("GET", "check")
    assert result["ok"] is True, result
    code, status = await call("GET", "status")
    assert status["state"] == "connected" and status["problem"] is None


async def test_token_with_wrong_audience_is_rejected(call, sb, token_path):
    sb.controls.tokens.write_token(token_path, NAMESPACE, audience="https://kubernetes.default.svc")
    code, status = await call("GET", "status")
    assert status["state"] == "error" and status["problem"]["code"] == "token_rejected"
    code, result = await call("GET", "check")
    assert result["problem"]["code"] == "token_rejected"


async def test_rbac_denied_names_the_service_account(call, sb, token_path):
    sb.controls.tokens.write_token(token_path, NAMESPACE, sa="my-notebook")
    await call("GET", "status")
    code, body = await call("PUT", "namespace", {"namespace": "alice"})
    assert code == 200
    code, result = await call("GET", "check")
    problem = result["problem"]
    assert problem["code"] == "rbac_denied" and problem["status"] == 403
    assert "kind: RoleBinding" in problem["yaml"] and "namespace: alice" in problem["yaml"]
    assert "kind: ServiceAccount" in problem["yaml"] and "name: my-notebook" in problem["yaml"]
    assert f"namespace: {NAMESPACE}" in problem["yaml"]


@pytest.mark.parametrize("sb_options", [{"istio_rbac_namespaces": [NAMESPACE]}])
async def test_istio_denied_shows_the_authorization_policy(call, sb, token_path):
    sb.controls.tokens.write_token(token_path, NAMESPACE)
    code, status = await call("GET", "status")
    problem = status["problem"]
    assert problem["code"] == "istio_denied", status
    assert "kind: AuthorizationPolicy" in problem["yaml"]
    assert f"cluster.local/ns/{NAMESPACE}/sa/default-editor" in problem["yaml"]
