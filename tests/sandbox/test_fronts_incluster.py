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


def test_user_header_is_trusted_without_istio_and_denied_with_it(sandbox, http):
    trusted = http.get(LIST, params={"namespace": NS}, headers={"kubeflow-userid": "user@example.com"})
    assert trusted.status_code == 200

    with Sandbox(mode="in-cluster", istio_denial=True, istio_rbac_namespaces=["locked"]) as sb:
        import httpx

        with httpx.Client(base_url=sb.url) as client:
            denied = client.get(LIST, params={"namespace": NS}, headers={"kubeflow-userid": "user@example.com"})
            assert denied.status_code == 403 and denied.text == "RBAC: access denied"
            assert denied.headers["content-type"].startswith("text/plain")

            locked = sb.controls.tokens.issue("locked")
            blocked = client.get(LIST, params={"namespace": "locked"}, headers={"Authorization": f"Bearer {locked}"})
            assert blocked.status_code == 403 and blocked.text == "RBAC: access denied"


def test_token_files_are_private_and_a_viewer_may_only_read(sandbox, tmp_path, http, upload, compiled):
    token_file = sandbox.controls.tokens.write_token(tmp_path / "sub" / "token", NS, sa="default-viewer")
    assert token_file.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in token_file.parent.iterdir()) == ["token"]  # no temp file left
    assert len(token_file.read_text().split(".")) == 3  # JWT-shaped

    bearer = {"Authorization": f"Bearer {token_file.read_text()}"}
    assert http.get(LIST, params={"namespace": NS}, headers=bearer).status_code == 200
    http.headers.update(bearer)
    refused = upload(compiled["tiny"], name="viewer-upload", namespace=NS)
    # KFP reports an RBAC denial on upload as a 400, not a 403.
    assert refused.status_code == 400 and "authorization" in refused.json()["error_message"]

    (tmp_path / "junk").write_text("junk")
    with pytest.raises(ValueError):
        sandbox.controls.tokens.rotate(tmp_path / "junk")
