"""The sandbox's Kubernetes-native store (KFP ``--pipelinesStoreKubernetes``) and its emulated
Kubernetes API, driven by real clients (httpx for KFP's REST API as ``kfp.Client`` sends it,
the ``kubernetes`` package for the Kubernetes API). Each test pins a row of docs/fidelity.md."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

NS = "kubeflow-user-example-com"
GROUP, VERSION = "pipelines.kubeflow.org", "v2beta1"
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                 "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                 "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("in-cluster", pipeline_store="kubernetes")


@pytest.fixture
def kfp(sb):
    """httpx against KFP's REST API as the namespace's default-editor ServiceAccount."""
    token = sb.controls.tokens.issue(NS)
    with httpx.Client(base_url=sb.kfp_host + "/apis/v2beta1", headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.fixture
def spec_yaml() -> bytes:
    from jupyter_kfp_connect.sandbox.store import _seed_spec
    import yaml

    return yaml.safe_dump(_seed_spec("hello")).encode()


def kube(sb, identity_token: str):
    from kubernetes import client

    config = client.Configuration()
    config.host = sb.url
    config.api_key = {"authorization": identity_token}
    config.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(config)


def upload(kfp, spec_yaml, **params):
    return kfp.post("/pipelines/upload", params={"namespace": NS, **params},
                    files={"uploadfile": ("p.yaml", spec_yaml)})


def test_healthz_reports_the_store(sb, sandbox_factory):
    assert httpx.get(sb.kfp_host + "/apis/v2beta1/healthz").json()["pipeline_store"] == "kubernetes"
    plain = sandbox_factory("standalone")
    assert httpx.get(plain.kfp_host + "/apis/v2beta1/healthz").json()["pipeline_store"] == "database"
    with pytest.raises(ValueError):
        sandbox_factory("standalone", pipeline_store="etcd")


def test_upload_refuses_a_name_that_is_not_a_dns1123_subdomain(kfp, spec_yaml):
    response = upload(kfp, spec_yaml, name="My Pipeline")
    assert response.status_code == 400
    assert response.json()["error_message"] == (
        f'Invalid pipeline name "My Pipeline": {SUBDOMAIN_MSG}. Use \'display_name\' for human-readable labels')
    ok = upload(kfp, spec_yaml, name="my-pipeline", display_name="My Pipeline")
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["name"] == "my-pipeline" and body["display_name"] == "My Pipeline"
    assert str(uuid.UUID(body["pipeline_id"])) == body["pipeline_id"]  # a Kubernetes UID


def test_version_names_and_the_253_character_object_name(kfp, spec_yaml):
    pid = upload(kfp, spec_yaml, name="p" * 128).json()["pipeline_id"]
    bad = kfp.post("/pipelines/upload_version", params={"pipelineid": pid, "name": "V2"},
                   files={"uploadfile": ("p.yaml", spec_yaml)})
    assert bad.status_code == 400
    assert bad.json()["error_message"].startswith('Invalid pipeline version name "V2": a lowercase RFC 1123')
    long = kfp.post("/pipelines/upload_version", params={"pipelineid": pid, "name": "v" * 125},
                    files={"uploadfile": ("p.yaml", spec_yaml)})
    assert long.status_code == 400
    composite = "p" * 128 + "-" + "v" * 125
    assert long.json()["error_message"] == (
        f'The combined pipeline and version name "{composite}" exceeds the Kubernetes 253-character '
        "naming limit: must be no more than 253 characters")
    fits = kfp.post("/pipelines/upload_version", params={"pipelineid": pid, "name": "v" * 124},
                    files={"uploadfile": ("p.yaml", spec_yaml)})
    assert fits.status_code == 200, fits.text


def test_a_namespace_is_required_in_multi_user_mode(sb, kfp, spec_yaml):
    # Even someone allowed to write shared pipelines (checked in KFP's namespace) cannot make one.
    sb.rbac.grant(f"system:serviceaccount:{NS}:default-editor", sb.kfp_namespace)
    response = kfp.post("/pipelines", json={"name": "shared-one"})
    assert response.status_code == 409
    assert response.json()["code"] == 10  # ABORTED (KFP's BadRequestError)
    assert response.json()["message"].endswith("A namespace is required")


def test_json_create_wraps_the_name_error(kfp):
    response = kfp.post("/pipelines", json={"name": "Bad Name", "namespace": NS})
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "Failed to create a pipeline due to server error: Failed to create a pipeline in PipelineStore: "
        'Invalid input error: Invalid pipeline name "Bad Name"')


def test_version_object_names_and_labels_through_the_kubernetes_api(sb, kfp, spec_yaml):
    from kubernetes import client

    pid = upload(kfp, spec_yaml, name="hello").json()["pipeline_id"]
    vid = kfp.post("/pipelines/upload_version", params={"pipelineid": pid, "name": "v2"},
                   files={"uploadfile": ("p.yaml", spec_yaml)}).json()["pipeline_version_id"]
    api = client.CustomObjectsApi(kube(sb, sb.kube.user_token("user@example.com")))
    versions = api.list_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions")["items"]
    assert sorted(v["metadata"]["name"] for v in versions) == ["hello", "hello-v2"]
    v2 = api.get_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", "hello-v2")
    assert v2["metadata"]["uid"] == vid and v2["spec"]["versionName"] == "v2"
    assert v2["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"] == pid
    assert v2["metadata"]["ownerReferences"][0]["uid"] == pid


def test_versions_are_immutable_but_display_name_may_change(sb, kfp, spec_yaml):
    from kubernetes import client

    pid = upload(kfp, spec_yaml, name="hello").json()["pipeline_id"]
    api = client.CustomObjectsApi(kube(sb, sb.kube.user_token("user@example.com")))
    version = api.get_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", "hello")
    version["spec"]["displayName"] = "Hello, again"
    updated = api.replace_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", "hello", version)
    assert updated["metadata"]["generation"] == 2
    assert kfp.get(f"/pipelines/{pid}/versions").json()["pipeline_versions"][0]["display_name"] == "Hello, again"

    updated["spec"]["description"] = "changed"
    with pytest.raises(client.ApiException) as refused:
        api.replace_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", "hello", updated)
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["message"] == (
        'admission webhook "pipelineversions.pipelines.kubeflow.org" denied the request: Pipeline spec is '
        "immutable; only mutable fields (display_name, tags) can be updated")
    with pytest.raises(client.ApiException) as stale:
        api.replace_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", "hello", version)
    assert stale.value.status == 409 and json.loads(stale.value.body)["reason"] == "Conflict"


def test_kubernetes_api_create_rules(sb, kfp, spec_yaml):
    from kubernetes import client

    api = client.CustomObjectsApi(kube(sb, sb.kube.user_token("user@example.com")))
    pipeline = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Pipeline", "metadata": {"name": "Bad_Name"}}
    with pytest.raises(client.ApiException) as bad:
        api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelines", pipeline)
    assert bad.value.status == 422
    assert json.loads(bad.value.body)["message"] == (
        f'Pipeline.pipelines.kubeflow.org "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        f"{SUBDOMAIN_MSG}")

    from jupyter_kfp_connect.sandbox.store import _seed_spec

    orphan = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineVersion", "metadata": {"name": "v1"},
              "spec": {"pipelineName": "nowhere", "pipelineSpec": _seed_spec("hello")}}
    with pytest.raises(client.ApiException) as missing:
        api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", orphan)
    assert missing.value.status == 400 and "doesn't map to an existing Pipeline" in missing.value.body

    pipeline["metadata"]["name"] = "gitops"
    pipeline["spec"] = {"displayName": "From Git"}
    made = api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelines", pipeline)
    bad_info = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineVersion", "metadata": {"name": "gitops"},
                "spec": {"pipelineName": "gitops", "pipelineSpec": _seed_spec("Not_Valid")}}
    with pytest.raises(client.ApiException) as info:
        api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", bad_info)
    assert info.value.status == 400 and "pipeline's name must contain only lowercase" in info.value.body
    # pipelineInfo.name need not equal the object's name (KFP 2.17's webhook does not check it).
    good = {**bad_info, "spec": {"pipelineName": "gitops", "pipelineSpec": _seed_spec("something-else")}}
    api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelineversions", good)
    listed = kfp.get("/pipelines", params={"namespace": NS}).json()["pipelines"]
    assert [(p["name"], p["display_name"], p["pipeline_id"]) for p in listed] == [
        ("gitops", "From Git", made["metadata"]["uid"])]
    with pytest.raises(client.ApiException) as again:
        api.create_namespaced_custom_object(GROUP, VERSION, NS, "pipelines", pipeline)
    assert again.value.status == 409 and json.loads(again.value.body)["reason"] == "AlreadyExists"


def test_rbac_and_self_subject_access_review(sb):
    from kubernetes import client

    def review(token: str, namespace: str, verb: str = "create") -> bool:
        body = {"spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": GROUP,
                                                 "resource": "pipelineversions"}}}
        return client.AuthorizationV1Api(kube(sb, token)).create_self_subject_access_review(body).status.allowed

    user = sb.kube.user_token("user@example.com")
    editor = sb.controls.tokens.issue(NS)
    viewer = sb.controls.tokens.issue(NS, sa="default-viewer")
    assert review(user, NS) and review(editor, NS)
    assert not review(user, "alice") and not review(viewer, NS) and review(viewer, NS, "get")
    api = client.CustomObjectsApi(kube(sb, user))
    with pytest.raises(client.ApiException) as denied:
        api.create_namespaced_custom_object(GROUP, VERSION, "alice", "pipelines",
                                            {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Pipeline",
                                             "metadata": {"name": "x"}})
    assert denied.value.status == 403
    assert json.loads(denied.value.body)["message"] == (
        'pipelines.pipelines.kubeflow.org is forbidden: User "user@example.com" cannot create resource '
        '"pipelines" in API group "pipelines.kubeflow.org" in the namespace "alice"')
    with pytest.raises(client.ApiException) as anonymous:
        client.CustomObjectsApi(kube(sb, "not-a-token")).list_namespaced_custom_object(GROUP, VERSION, NS, "pipelines")
    assert anonymous.value.status == 401
