"""In-cluster front: a notebook's projected ServiceAccount token, TokenReview, RBAC and Istio."""

import pytest

from jupyter_kfp_connect.sandbox import Sandbox
from jupyter_kfp_connect.sandbox.tokens import KUBERNETES_AUDIENCE

NS = "kubeflow-user-example-com"
LIST = "/apis/v2beta1/pipelines"


@pytest.fixture(scope="module")
def cluster():
    with Sandbox(mode="in-cluster") as sb:
        yield sb


@pytest.fixture
def sandbox(cluster):
    cluster.controls.reset()
    return cluster


def kfp_client(sb, token_file, namespace=NS):
    import kfp

    credentials = kfp.client.ServiceAccountTokenVolumeCredentials(path=str(token_file))
    return kfp.Client(host=sb.kfp_host, credentials=credentials, namespace=namespace)


def test_kfp_client_with_a_projected_token_survives_rotation(sandbox, tmp_path, compiled):
    from kfp_server_api.exceptions import ApiException

    token_file = sandbox.controls.tokens.write_token(tmp_path / "token", NS)
    sandbox.controls.seed(NS, 2)
    client = kfp_client(sandbox, token_file)
    assert client.list_pipelines(namespace=NS).total_size == 2
    client.upload_pipeline(str(compiled["tiny"]), pipeline_name="in-cluster", namespace=NS)

    old = token_file.read_text()
    sandbox.controls.tokens.rotate(token_file)
    assert token_file.read_text() != old
    assert client.list_pipelines(namespace=NS).total_size == 3  # the client re-read the file

    (tmp_path / "copied").write_text(old)
    stale = kfp_client(sandbox, tmp_path / "copied")
    with pytest.raises(ApiException) as caught:
        stale.list_pipelines(namespace=NS)
    assert caught.value.status == 401
    identities = {e["identity"] for e in sandbox.controls.request_log() if e["status"] == 200}
    assert identities == {f"system:serviceaccount:{NS}:default-editor"}


def test_deleted_and_wrong_audience_tokens_are_rejected(sandbox, tmp_path, http):
    token_file = sandbox.controls.tokens.write_token(tmp_path / "token", NS)
    token = token_file.read_text()
    assert http.get(LIST, params={"namespace": NS}, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    sandbox.controls.tokens.delete(token_file)
    assert not token_file.exists()
    gone = http.get(LIST, params={"namespace": NS}, headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401 and gone.json()["code"] == 16

    # The pod's default token (API-server audience) is not a pipelines token.
    default = sandbox.controls.tokens.issue(NS, audience=KUBERNETES_AUDIENCE)
    wrong = http.get(LIST, params={"namespace": NS}, headers={"Authorization": f"Bearer {default}"})
    assert wrong.status_code == 401 and "pipelines.kubeflow.org" in wrong.json()["message"]
    # healthz never authenticates, even with a bad token
    health = http.get("/apis/v2beta1/healthz", headers={"Authorization": f"Bearer {default}"})
    assert health.status_code == 200 and health.json()["multi_user"] is True


def test_no_identity_is_401_and_other_namespaces_are_403(sandbox, tmp_path):
    from kfp_server_api.exceptions import ApiException

    import httpx

    with httpx.Client(base_url=sandbox.url) as http:
        anonymous = http.get(LIST, params={"namespace": NS})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 16

    token_file = sandbox.controls.tokens.write_token(tmp_path / "token", "alice")
    client = kfp_client(sandbox, token_file, namespace=NS)
    with pytest.raises(ApiException) as caught:
        client.list_pipelines(namespace=NS)
    assert caught.value.status == 403 and '"code": 7' in str(caught.value.body)
    # The RoleBinding the docs suggest (kubeflow-edit for alice's default-editor) fixes it.
    sandbox.rbac.grant("system:serviceaccount:alice:default-editor", NS, "edit")
    assert client.list_pipelines(namespace=NS).total_size is None


def test_istio_sidecar_denies_any_user_header(sandbox, http, tmp_path):
    """The ml-pipeline AuthorizationPolicy admits a notebook only "when request.headers
    [kubeflow-userid] notValues ['*']": a request with the header is refused by Istio (bare
    text), whatever token it also carries."""
    token = sandbox.controls.tokens.issue(NS)
    for headers in ({"kubeflow-userid": "user@example.com"},
                    {"kubeflow-userid": "user@example.com", "Authorization": f"Bearer {token}"},
                    {"kubeflow-userid": ""}):
        denied = http.get(LIST, params={"namespace": NS}, headers=headers)
        assert denied.status_code == 403 and denied.text == "RBAC: access denied"
        assert denied.headers["content-type"].startswith("text/plain")
    health = http.get("/apis/v2beta1/healthz", headers={"kubeflow-userid": "x"})
    assert health.status_code == 403 and health.text == "RBAC: access denied"

    with Sandbox(mode="in-cluster", istio_rbac_namespaces=["locked"]) as sb:
        import httpx

        with httpx.Client(base_url=sb.url) as client:
            locked = sb.controls.tokens.issue("locked")
            blocked = client.get(LIST, params={"namespace": "locked"}, headers={"Authorization": f"Bearer {locked}"})
            assert blocked.status_code == 403 and blocked.text == "RBAC: access denied"


def test_shared_pipelines_need_no_identity_so_a_stale_token_still_lists_them(sandbox, http):
    """canAccessPipeline skips IsAuthorized (and with it TokenReview) for get/list of shared
    pipelines: a rotated-away token still reads them, and is refused at the first namespaced call."""
    sandbox.controls.seed("", 2, prefix="shared")
    stale = {"Authorization": "Bearer stale.token.value"}
    shared = http.get(LIST, headers=stale)
    assert shared.status_code == 200 and shared.json()["total_size"] == 2
    one = shared.json()["pipelines"][0]["pipeline_id"]
    assert http.get(f"{LIST}/{one}", headers=stale).status_code == 200
    assert http.get(LIST).status_code == 200  # no token at all
    private = http.get(LIST, params={"namespace": NS}, headers=stale)
    assert private.status_code == 401 and private.json()["code"] == 16
    assert "Review.Status.Authenticated is false" in private.json()["message"]


def test_the_api_server_serves_the_api_at_the_root_only(sandbox, http):
    """ml-pipeline:8888 is grpc-gateway: no /pipeline prefix (that is the UI server's)."""
    assert http.get("/apis/v2beta1/healthz").status_code == 200
    missing = http.get("/pipeline/apis/v2beta1/healthz")
    assert missing.status_code == 404 and missing.json()["code"] == 5


def test_token_files_are_private_and_a_viewer_may_only_read(sandbox, tmp_path, http, upload, compiled):
    token_file = sandbox.controls.tokens.write_token(tmp_path / "sub" / "token", NS, sa="default-viewer")
    assert token_file.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in token_file.parent.iterdir()) == ["token"]  # no temp file left
    assert len(token_file.read_text().split(".")) == 3  # JWT-shaped

    bearer = {"Authorization": f"Bearer {token_file.read_text()}"}
    assert http.get(LIST, params={"namespace": NS}, headers=bearer).status_code == 200
    http.headers.update(bearer)
    refused = upload(compiled["tiny"], name="viewer-upload", namespace=NS)
    # KFP reports an RBAC denial on upload as a 400 with one fixed sentence, not a 403.
    assert refused.status_code == 400 and refused.json()["error_message"] == "Failed to create a pipeline"

    (tmp_path / "junk").write_text("junk")
    with pytest.raises(ValueError):
        sandbox.controls.tokens.rotate(tmp_path / "junk")
