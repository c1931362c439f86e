"""Kubernetes-native pipelines against the sandbox's Kubernetes store and its emulated
Kubernetes API: name checks before upload, export (validated against KFP's CRD schemas) and
apply (allowed and denied by the sandbox's RBAC)."""

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import tracebacks  # noqa: F401
from tests.handlers.pipelines_fixtures import NAMESPACE, error_of

#: CI has the reference data as ../shared beside the repository; KFP_REFERENCE points elsewhere.
REFERENCE = Path(os.environ.get("KFP_REFERENCE") or Path(__file__).parents[2] / ".." / "shared" / "kfp-reference")
CRDS = REFERENCE / "crds"


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex", pipeline_store="kubernetes")


@pytest.fixture
def kube_token(sb, tmp_path) -> Path:
    """The notebook pod's own ServiceAccount token (default-editor in the user's namespace)."""
    from jupyter_kfp_connect.sandbox.tokens import KUBERNETES_AUDIENCE

    return sb.controls.tokens.write_token(tmp_path / "k8s" / "token", NAMESPACE, audience=KUBERNETES_AUDIENCE)


@pytest.fixture
def kfp_config(sb, kube_token) -> dict[str, Any]:  # noqa: F811
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/", "kubernetes_api": sb.url,
            "kubernetes_token_path": str(kube_token)}


def crd_schemas() -> dict[str, dict[str, Any]]:
    """kind -> openAPIV3Schema of KFP's own CRDs (kubeflow/pipelines manifests/kustomize/base/crds)."""
    if not CRDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"KFP's CRDs are missing at {CRDS} (CI must provide ../shared)")
        pytest.skip("KFP's CRDs (../shared/kfp-reference/crds) are not present")
    schemas = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        schemas[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schemas


def assert_valid_manifests(text: str) -> list[dict[str, Any]]:
    import jsonschema

    schemas = crd_schemas()
    documents = list(yaml.safe_load_all(text))
    for doc in documents:
        jsonschema.validate(doc, schemas[doc["kind"]])
        assert doc["apiVersion"] == "pipelines.kubeflow.org/v2beta1"
    return documents


# --- where KFP keeps pipelines, and names checked before upload --------------------------------

async def test_healthz_tells_the_kubernetes_store(kfp):
    await kfp.connect()
    code, body = await kfp("GET", "pipeline-store")
    assert code == 200 and body == {"pipeline_store": "kubernetes", "source": "healthz"}


async def test_upload_with_an_invalid_name_is_refused_before_kfp_with_a_proposal(kfp, sb, scaler_yaml):
    await kfp.connect()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name="My Scaler (v2)")
    assert code == 400, body
    problem = error_of(body)
    assert problem["code"] == "invalid_kubernetes_name"
    assert problem["details"]["proposed_name"] == "my-scaler-v2"
    assert problem["details"]["display_name"] == "My Scaler (v2)"
    assert kfp.uploads_sent() == []  # nothing reached KFP

    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name="my-scaler-v2",
                                  display_name="My Scaler (v2)")
    assert code == 201, body
    assert body["pipeline"]["name"] == "my-scaler-v2"
    assert body["pipeline"]["display_name"] == "My Scaler (v2)"
    # KFP's id is the Pipeline object's UID, visible through the Kubernetes API.
    record = sb.store.k8s_object("Pipeline", NAMESPACE, "my-scaler-v2")
    assert record["uid"] == body["pipeline"]["id"]


async def test_version_name_checked_too(kfp, scaler_yaml):
    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml", name="scaler")
    assert code == 201, first
    pid = first["pipeline"]["id"]
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="Version 2")
    assert code == 400 and error_of(body)["details"]["proposed_name"] == "version-2", body
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions",
                                  name="version-2", display_name="Version 2")
    assert code == 201, body
    assert body["version"]["display_name"] == "Version 2"


async def test_name_check_endpoint(kfp):
    code, body = await kfp("GET", "names/check", name="Ünïcode Pipeline", version_name="x" * 200)
    assert code == 200 and not body["valid"]
    assert body["proposed_name"] == "unicode-pipeline"
    code, body = await kfp("GET", "names/check", name="ok.name")
    assert body == {"valid": True, "problems": [], "proposed_name": "ok.name", "proposed_version_name": ""}


def test_the_setting_decides_when_healthz_is_silent():
    from jupyter_kfp_connect import pipeline_store

    assert pipeline_store.resolve({"multi_user": True}, "kubernetes") == {
        "pipeline_store": "kubernetes", "source": "setting"}
    assert pipeline_store.resolve({}, "auto") == {"pipeline_store": "database", "source": "default"}
    assert pipeline_store.resolve({"pipeline_store": "database"}, "kubernetes")["pipeline_store"] == "database"


# --- export --------------------------------------------------------------------------------------

async def test_export_a_stored_version_validates_against_the_crds(kfp, scaler_yaml):
    await kfp.connect()
    code, up = await kfp.upload(scaler_yaml, "scaler.yaml", name="scaler", display_name="The Scaler")
    assert code == 201, up
    pid = up["pipeline"]["id"]
    code, v2 = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="v2",
                                display_name="Second")
    assert code == 201, v2
    code, body = await kfp("POST", "manifests/export", {"pipeline_id": pid, "version_id": v2["version"]["id"]})
    assert code == 200, body
    pipeline, version = assert_valid_manifests(body["yaml"])
    assert pipeline["kind"] == "Pipeline" and pipeline["metadata"] == {"name": "scaler", "namespace": NAMESPACE}
    assert pipeline["spec"]["displayName"] == "The Scaler"
    assert version["metadata"]["name"] == "scaler-v2"  # KFP's {pipeline}-{version}
    assert version["spec"]["versionName"] == "v2" and version["spec"]["displayName"] == "Second"
    assert version["spec"]["pipelineName"] == "scaler"
    assert version["spec"]["pipelineSpec"]["pipelineInfo"]["name"] == "scaler"
    assert body["filename"] == "scaler-v2.k8s.yaml" and body["renamed"] == []


async def test_export_matches_kfps_own_compiler_output(kfp, scaler_yaml, tmp_path, jp_root_dir):
    """Same shape as ``Compiler().compile(..., kubernetes_manifest_format=True)``."""
    from kfp import compiler
    from kfp.compiler import KubernetesManifestOptions

    from tests.handlers.pipelines_fixtures import _build_pipeline

    path = tmp_path / "sdk.yaml"
    compiler.Compiler().compile(_build_pipeline(), str(path), kubernetes_manifest_format=True,
                                kubernetes_manifest_options=KubernetesManifestOptions(
                                    namespace=NAMESPACE, include_pipeline_manifest=True))
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, body = await kfp("POST", "manifests/export", {"path": "scaler.yaml"})
    assert code == 200, body
    ours, sdk = assert_valid_manifests(body["yaml"]), assert_valid_manifests(path.read_text())
    assert ours == sdk


async def test_export_of_a_package_with_an_invalid_name_renames_and_keeps_the_text(kfp, scaler_yaml):
    await kfp.connect()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", path="manifests/export",
                                  name="Scaler Deluxe", version_name="First Try")
    assert code == 200, body
    pipeline, version = assert_valid_manifests(body["yaml"])
    assert pipeline["metadata"]["name"] == "scaler-deluxe"
    assert pipeline["spec"]["displayName"] == "Scaler Deluxe"
    assert version["metadata"]["name"] == "scaler-deluxe-first-try"
    assert version["spec"]["displayName"] == "First Try"
    assert {r["field"] for r in body["renamed"]} == {"pipeline", "version"}


# --- apply ---------------------------------------------------------------------------------------

async def test_apply_where_allowed_creates_then_leaves_unchanged(kfp, sb, scaler_yaml, jp_root_dir):
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, access = await kfp("GET", "manifests/access", namespace=NAMESPACE)
    assert code == 200 and access["allowed"] is True, access

    code, body = await kfp("POST", "manifests/apply", {"path": "scaler.yaml", "name": "applied",
                                                        "display_name": "Applied from Jupyter"})
    assert code == 200, body
    assert [(r["kind"], r["name"], r["action"]) for r in body["results"]] == [
        ("Pipeline", "applied", "created"), ("PipelineVersion", "applied", "created")]
    # KFP's REST API sees the objects, with the UIDs as ids.
    stored = sb.store.get_pipeline_by_name(NAMESPACE, "applied")
    assert stored["display_name"] == "Applied from Jupyter" and stored["id"] == body["results"][0]["uid"]
    code, listing = await kfp("GET", "pipelines", search="Applied")
    assert [p["name"] for p in listing["pipelines"]] == ["applied"]

    code, again = await kfp("POST", "manifests/apply", {"path": "scaler.yaml", "name": "applied",
                                                         "display_name": "Applied from Jupyter"})
    assert code == 200, again
    assert [r["action"] for r in again["results"]] == ["unchanged", "unchanged"]

    # Display names may change, on the version too (KFP's webhook allows display_name and tags).
    code, again = await kfp("POST", "manifests/apply", {"path": "scaler.yaml", "name": "applied",
                                                         "display_name": "Renamed display"})
    assert code == 200, again
    assert [r["action"] for r in again["results"]] == ["updated", "updated"]
    assert sb.store.get_pipeline_by_name(NAMESPACE, "applied")["display_name"] == "Renamed display"


async def test_apply_refuses_to_change_an_existing_version(kfp, scaler_yaml, jp_root_dir):
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, exported = await kfp("POST", "manifests/export", {"path": "scaler.yaml"})
    code, body = await kfp("POST", "manifests/apply", {"yaml": exported["yaml"]})
    assert code == 200, body
    changed = exported["yaml"].replace("Scales a number twice", "Scales a number thrice")
    assert changed != exported["yaml"]
    code, body = await kfp("POST", "manifests/apply", {"yaml": changed})
    assert code == 409 and error_of(body)["code"] == "version_immutable", body


async def test_apply_where_denied_creates_nothing(kfp, sb, scaler_yaml, jp_root_dir):
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, access = await kfp("GET", "manifests/access", namespace="alice")
    assert code == 200 and access["allowed"] is False
    assert {c["allowed"] for c in access["checks"]} == {False}
    code, body = await kfp("POST", "manifests/apply", {"path": "scaler.yaml", "namespace": "alice"})
    assert code == 403 and error_of(body)["code"] == "kubernetes_forbidden", body
    assert sb.store.k8s_objects("Pipeline", "alice") == []


async def test_apply_without_a_kubernetes_api_explains(kfp, scaler_yaml, jp_root_dir, jp_serverapp):
    from tests.kernel.conftest import kfp_app

    kfp_app(jp_serverapp).kubernetes_api = ""
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, body = await kfp("POST", "manifests/apply", {"path": "scaler.yaml"})
    assert code == 409 and error_of(body)["code"] == "no_kubernetes_api", body


def test_every_manifests_route_is_documented():
    from importlib import resources

    from jupyter_kfp_connect.handlers import manifests as handlers

    spec = yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())
    for pattern, handler in handlers.ROUTES:
        documented = spec["paths"].get("/" + pattern)
        assert documented is not None, pattern
        methods = {m for m in ("get", "post") if m in handler.__dict__}
        assert methods <= set(documented), pattern


async def test_export_answer_has_the_documented_fields(kfp, scaler_yaml, jp_root_dir):
    from importlib import resources

    spec = yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())
    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, body = await kfp("POST", "manifests/export", {"path": "scaler.yaml"})
    assert code == 200
    documented = spec["components"]["schemas"]["ExportedManifests"]
    assert set(documented["required"]) <= set(body) <= set(documented["properties"])


# --- hostile manifests ---------------------------------------------------------------------------

def _version_doc(spec: str) -> str:
    """A PipelineVersion that passes every check but what its spec holds."""
    return (f"apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\n"
            f"metadata:\n  name: hostile\nspec:\n  pipelineName: hostile\n  pipelineSpec: {spec}\n")


#: past the reader's 200 levels, below libyaml's own scanner limit (1,000), where plain
#: PyYAML overflows the stack (RecursionError)
DEEP_MANIFEST = _version_doc("[" * 900 + "]" * 900)
#: ten values, each level ten aliases of the one before: 10**6 values once expanded (~3 KB here)
ALIAS_BOMB = _version_doc("\n" + "".join(
    f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 10)}]\n" for i in range(6)))


@pytest.mark.parametrize("text", [DEEP_MANIFEST, ALIAS_BOMB], ids=["deep", "alias-bomb"])
def test_parse_manifests_reads_with_the_package_readers_budgets(text):
    from jupyter_kfp_connect.errors import KFPConnectError
    from jupyter_kfp_connect.manifests import parse_manifests

    with pytest.raises(KFPConnectError) as raised:
        parse_manifests(text)
    assert raised.value.code == "bad_request" and raised.value.status == 400
    assert raised.value.problem.fix


@pytest.mark.parametrize("text", [DEEP_MANIFEST, ALIAS_BOMB], ids=["deep", "alias-bomb"])
async def test_apply_refuses_hostile_yaml_before_kubernetes(kfp, sb, text, tracebacks):
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp("POST", "manifests/apply", {"yaml": text})
    assert code == 400 and error_of(body)["code"] == "bad_request", body
    assert "nested" in error_of(body)["message"] or "aliases" in error_of(body)["message"], body
    assert sb.controls.request_log() == []  # no access review, no object written
    assert sb.store.k8s_objects("PipelineVersion", NAMESPACE) == []
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


async def test_export_lists_its_documents_off_the_event_loop(kfp, scaler_yaml, jp_root_dir, monkeypatch):
    """The listing re-reads the written YAML (up to 32 MB): a worker thread's job."""
    import threading

    threads: list[str] = []
    load_all = yaml.safe_load_all

    def watched(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return load_all(*args, **kwargs)

    (jp_root_dir / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    monkeypatch.setattr(yaml, "safe_load_all", watched)
    code, body = await kfp("POST", "manifests/export", {"path": "scaler.yaml"})
    assert code == 200, body
    assert threads and threading.main_thread().name not in threads, threads
