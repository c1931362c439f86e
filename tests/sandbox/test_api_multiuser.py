"""Multi-user rules of KFP's API server, with a stand-in front and RBAC table so the API's own
calls are what is tested: which namespace, which verb, and how a denial comes back."""

from __future__ import annotations

import httpx
import pytest

from jupyter_kfp_connect.sandbox.base import ApiError

API = "/apis/v2beta1"


class HeaderFront:
    """Trusts ``kubeflow-userid`` like KFP behind Istio; no identity -> anonymous."""

    multi_user = True
    mode = "test"

    def routes(self):
        return []

    async def authenticate(self, handler):
        return handler.request.headers.get("kubeflow-userid")


class TableRbac:
    """Allows exactly the (user, namespace) pairs given, and records every check."""

    def __init__(self, allowed):
        self.allowed = set(allowed)
        self.calls = []

    def check(self, identity, namespace, verb, resource="pipelines", name=""):
        self.calls.append((identity, namespace, verb, resource))
        if identity is None:
            raise ApiError(401, "Unauthenticated: no user identity header")
        if (identity, namespace) not in self.allowed:
            raise ApiError(403, f"PermissionDenied: {identity} may not {verb} {resource} in {namespace}")


@pytest.fixture
def multi(sandbox):
    sandbox.front = HeaderFront()
    sandbox.rbac = TableRbac({("alice", "team-a"), ("admin", "kubeflow"), ("admin", "team-a")})
    sandbox.store.seed("", 2, prefix="shared")
    sandbox.store.seed("team-a", 3, prefix="a")
    sandbox.store.seed("team-b", 4, prefix="b")
    return sandbox


class as_user:  # noqa: N801 -- reads as a phrase: as_user(sb, "alice").get(...)
    """One-shot requests as ``user`` (or anonymous): nothing left open between tests."""

    def __init__(self, sandbox, user=None) -> None:
        self.base = sandbox.url
        self.headers = {"kubeflow-userid": user} if user else {}

    def __getattr__(self, method: str):
        def send(path: str, **kwargs) -> httpx.Response:
            return httpx.request(method.upper(), self.base + path, headers=self.headers, timeout=10, **kwargs)

        return send


def test_healthz_says_multi_user(multi) -> None:
    assert as_user(multi).get(f"{API}/healthz").json()["multi_user"] is True


def test_shared_pipelines_are_readable_by_anyone(multi) -> None:
    listed = as_user(multi).get(f"{API}/pipelines").json()
    assert sorted(p["name"] for p in listed["pipelines"]) == ["shared-00001", "shared-00002"]
    shared_id = listed["pipelines"][0]["pipeline_id"]
    assert as_user(multi).get(f"{API}/pipelines/{shared_id}").status_code == 200
    assert multi.rbac.calls == []


def test_namespace_listing_is_checked_and_scoped(multi) -> None:
    response = as_user(multi, "alice").get(f"{API}/pipelines", params={"namespace": "team-a"})
    assert sorted(p["name"] for p in response.json()["pipelines"]) == ["a-00001", "a-00002", "a-00003"]
    assert all(p["namespace"] == "team-a" for p in response.json()["pipelines"])
    assert multi.rbac.calls == [("alice", "team-a", "list", "pipelines")]

    denied = as_user(multi, "alice").get(f"{API}/pipelines", params={"namespace": "team-b"})
    assert denied.status_code == 403 and denied.json()["code"] == 7
    anonymous = as_user(multi).get(f"{API}/pipelines", params={"namespace": "team-a"})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 16


def test_reading_a_namespaced_pipeline_checks_its_namespace(multi) -> None:
    (b_id,) = multi.store.seed("team-b", 1, prefix="secret")
    response = as_user(multi, "alice").get(f"{API}/pipelines/{b_id}")
    assert response.status_code == 403
    assert multi.rbac.calls[-1] == ("alice", "team-b", "get", "pipelines")


def test_upload_denial_is_400_with_kfp_message(multi, compiled) -> None:
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    denied = as_user(multi, "alice").post(f"{API}/pipelines/upload",
                                          params={"namespace": "team-b", "name": "x"}, files=files)
    assert denied.status_code == 400
    assert denied.json()["error_message"].startswith("Failed to create a pipeline")
    ok = as_user(multi, "alice").post(f"{API}/pipelines/upload",
                                      params={"namespace": "team-a", "name": "x"}, files=files)
    assert ok.status_code == 200 and ok.json()["namespace"] == "team-a"
    # (namespace, name) is unique, so the same name is free in another namespace.
    shared = as_user(multi, "admin").post(f"{API}/pipelines/upload", params={"name": "x"}, files=files)
    assert shared.status_code == 200 and "namespace" not in shared.json()


def test_shared_uploads_are_not_authorized_in_2_17(multi, compiled) -> None:
    """canUploadVersionedPipeline returns early for an empty namespace: anyone signed in (or
    not) may upload a shared pipeline or a version of one."""
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    created = as_user(multi, "alice").post(f"{API}/pipelines/upload", params={"name": "s"}, files=files)
    assert created.status_code == 200 and "namespace" not in created.json()
    version = as_user(multi).post(f"{API}/pipelines/upload_version",
                                  params={"pipelineid": created.json()["pipeline_id"], "name": "s2"}, files=files)
    assert version.status_code == 200
    assert multi.rbac.calls == []


def test_shared_upload_option_checks_the_install_namespace(multi, compiled) -> None:
    """The newer behaviour, offered as an option: create rights in KFP's own namespace."""
    multi.shared_upload_auth = "install_namespace"
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    denied = as_user(multi, "alice").post(f"{API}/pipelines/upload", params={"name": "s"}, files=files)
    assert denied.status_code == 400 and denied.json()["error_message"] == "Failed to create a pipeline"
    assert multi.rbac.calls[-1] == ("alice", "kubeflow", "create", "pipelines")
    allowed = as_user(multi, "admin").post(f"{API}/pipelines/upload", params={"name": "s"}, files=files)
    assert allowed.status_code == 200


def test_grpc_writes_to_shared_pipelines_are_checked_against_kubeflow(multi) -> None:
    shared_id = as_user(multi).get(f"{API}/pipelines").json()["pipelines"][0]["pipeline_id"]
    denied = as_user(multi, "alice").delete(f"{API}/pipelines/{shared_id}")
    assert denied.status_code == 403
    assert multi.rbac.calls[-1] == ("alice", "kubeflow", "delete", "pipelines")
    assert denied.json()["message"].startswith(
        f"Failed to delete pipeline {shared_id}. Check error stack: Failed to delete a pipeline due "
        f"authorization error for pipeline id {shared_id}: Failed to access shared pipeline {shared_id}. "
        "Check if you have permission to delete shared pipelines: ")
    created = as_user(multi, "alice").post(f"{API}/pipelines", json={"name": "json-made"})
    assert created.status_code == 403
    assert multi.rbac.calls[-1] == ("alice", "kubeflow", "create", "pipelines")
    refused = as_user(multi, "admin").delete(f"{API}/pipelines/{shared_id}")
    assert refused.status_code == 400  # allowed, but it still has a version


def test_upload_version_checks_the_parent_namespace(multi, compiled) -> None:
    (a_id,) = multi.store.seed("team-a", 1, prefix="parent")
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    params = {"pipelineid": a_id, "name": "v2"}
    assert as_user(multi, "bob").post(f"{API}/pipelines/upload_version", params=params,
                                      files=files).status_code == 400
    assert multi.rbac.calls[-1] == ("bob", "team-a", "create", "pipelines")
    assert as_user(multi, "alice").post(f"{API}/pipelines/upload_version", params=params,
                                        files=files).status_code == 200


def test_experiments_and_runs_need_a_namespace(multi) -> None:
    alice = as_user(multi, "alice")
    assert alice.get(f"{API}/experiments").status_code == 400
    created = alice.post(f"{API}/experiments", json={"display_name": "e", "namespace": "team-a"}).json()
    assert created["namespace"] == "team-a"
    assert multi.rbac.calls[-1] == ("alice", "team-a", "create", "experiments")
    assert alice.get(f"{API}/experiments", params={"namespace": "team-a"}).json()["total_size"] == 1
    assert alice.get(f"{API}/experiments", params={"namespace": "team-b"}).status_code == 403

    (a_id,) = multi.store.seed("team-a", 1, prefix="runnable")
    run = alice.post(f"{API}/runs", json={"display_name": "r", "experiment_id": created["experiment_id"],
                                          "pipeline_version_reference": {"pipeline_id": a_id}})
    assert run.status_code == 200, run.text
    assert ("alice", "team-a", "create", "runs") in multi.rbac.calls
    assert as_user(multi, "bob").get(f"{API}/runs/{run.json()['run_id']}").status_code == 403


def test_get_by_name_without_namespace_spans_every_namespace(multi) -> None:
    """getPipelineByName: no namespace is a shared read (no check at all), and the store's
    query then has no namespace condition: a private pipeline of that name is found, name
    compared case-insensitively."""
    private = multi.store.create_pipeline("team-b", "report")
    found = as_user(multi).get(f"{API}/pipelines/names/REPORT")
    assert found.status_code == 200 and found.json()["pipeline_id"] == private["id"]
    assert found.json()["namespace"] == "team-b"
    assert multi.rbac.calls == []
    scoped = as_user(multi, "alice").get(f"{API}/pipelines/names/report", params={"namespace": "team-a"})
    assert scoped.status_code == 404
    assert scoped.json()["message"] == (
        "Failed to get a pipeline with name report and namespace team-a. Check error stack.: Failed to get a "
        "pipeline named report in namespace team-a: ResourceNotFoundError: Namespace/Pipeline team-a/report "
        "not found")
    assert scoped.json()["details"][0]["message"] == "Namespace/Pipeline team-a/report not found"


def test_denials_are_kfp_error_chains(multi) -> None:
    denied = as_user(multi, "alice").get(f"{API}/pipelines", params={"namespace": "team-b"}).json()
    assert denied["message"].startswith(
        "Failed to list pipelines in namespace team-b. Check error stack: Failed to list pipelines due to "
        "authorization error. Check if you have read permission to namespace team-b: ")
    assert denied["details"][0]["message"] == "PermissionDenied: alice may not list pipelines in team-b"
    anonymous = as_user(multi).get(f"{API}/pipelines", params={"namespace": "team-a"})
    assert anonymous.status_code == 401
    # grpc-gateway's DefaultHTTPErrorHandler repeats an Unauthenticated message in the header
    assert anonymous.headers["www-authenticate"] == anonymous.json()["message"]


def test_real_rbac_denial_texts(multi) -> None:
    """IsAuthorized's PermissionDenied: the chain ends "Unauthorized access", the external
    sentence names the SubjectAccessReview's attributes (k8s' String() of them)."""
    from jupyter_kfp_connect.sandbox.rbac import Rbac

    multi.rbac = Rbac()
    (b_id,) = multi.store.seed("team-b", 1, prefix="named")
    body = as_user(multi, "alice@example.com").get(f"{API}/pipelines/{b_id}").json()
    external = ("User 'alice@example.com' is not authorized with reason:  (request: &ResourceAttributes{"
                "Namespace:team-b,Verb:get,Group:pipelines.kubeflow.org,Version:v1beta1,Resource:pipelines,"
                "Subresource:,Name:named-00001,FieldSelector:nil,LabelSelector:nil,})")
    assert body["details"][0]["message"] == external
    assert body["message"] == (
        f"Failed to get a pipeline {b_id}. Check error stack: Failed to get a pipeline due authorization error "
        f"for pipeline id {b_id}: Failed to access pipeline {b_id}. Check if you have access to namespace "
        f"team-b: PermissionDenied: {external}: Unauthorized access")
