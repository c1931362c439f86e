"""POST kfp-connect/pipelines, pipelines/{id}/versions, validate; DELETE pipelines and versions.

Uploads come from the Jupyter root (JSON ``{path}``) or the browser (multipart ``file``);
nothing invalid, too large or outside the root ever reaches KFP, and a failed upload leaves
nothing behind."""

import io
import os
import re
import tarfile

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import USER, error_of
from tests.reference import corpus_files

standalone_only = pytest.mark.parametrize("kfp_mode", ["standalone"])


def _pipelines_named(sb, namespace, name):
    try:
        return sb.store.get_pipeline_by_name(namespace, name)
    except Exception:
        return None


def _tgz(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def test_upload_from_jupyter_root(kfp, sb, namespace, scaler_yaml, jp_root_dir):
    (jp_root_dir / "work").mkdir()
    (jp_root_dir / "work" / "scaler.yaml").write_bytes(scaler_yaml)
    await kfp.connect()
    code, body = await kfp("POST", "pipelines", {"path": "work/scaler.yaml", "name": "from-root",
                                                  "description": "uploaded from the root"})
    assert code == 201, body
    pipeline, version = body["pipeline"], body["version"]
    assert pipeline["name"] == "from-root" and pipeline["namespace"] == namespace
    assert pipeline["description"] == "uploaded from the root"
    assert version["pipeline_id"] == pipeline["id"] and version["id"]
    assert version["ui_url"].endswith(f"/#/pipelines/details/{pipeline['id']}/version/{version['id']}")
    stored = _pipelines_named(sb, namespace, "from-root")
    assert stored and stored["id"] == pipeline["id"]
    assert sb.store.latest_version(pipeline["id"])["id"] == version["id"]
    assert len(kfp.uploads_sent()) == 1


async def test_upload_from_browser_multipart_archive(kfp, sb, namespace, scaler_yaml):
    await kfp.connect()
    code, body = await kfp.upload(_tgz("pipeline.yaml", scaler_yaml), "scaler.tar.gz",
                                  name="from-browser", display_name="From the browser")
    assert code == 201, body
    assert body["pipeline"]["display_name"] == "From the browser"
    assert body["pipeline"]["namespace"] == namespace
    assert body["pipeline"]["description"] == "Scales a number twice and reports it."  # from the spec
    code, detail = await kfp("GET", f"pipelines/{body['pipeline']['id']}")
    assert {t["name"] for t in detail["latest_version"]["summary"]["tasks"]} == {"scale", "scale-2", "report"}


async def test_new_version_of_a_private_pipeline(kfp, sb, namespace, scaler_yaml, jp_root_dir):
    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 201, first
    pid = first["pipeline"]["id"]
    assert first["pipeline"]["shared"] is (not namespace)

    (jp_root_dir / "scaler-v2.yaml").write_bytes(scaler_yaml)
    code, v2 = await kfp("POST", f"pipelines/{pid}/versions", {"path": "scaler-v2.yaml"})
    assert code == 201, v2
    assert re.fullmatch(r"scaler-\d{8}-\d{6}", v2["version"]["name"]), v2["version"]["name"]
    code, v3 = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions",
                                name="v3", description="third")
    assert code == 201, v3
    assert v3["version"]["name"] == "v3" and v3["pipeline"]["id"] == pid
    rows, total, _ = sb.store.list_versions(pid, _versions_query())
    assert total == 3

    # the same version name again is a duplicate, refused before any upload
    sb.controls.clear_log()
    code, dup = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="v3")
    assert code == 409, dup
    assert error_of(dup)["code"] == "duplicate_name"
    assert error_of(dup)["details"]["kind"] == "version"
    assert error_of(dup)["details"]["version_id"] == v3["version"]["id"]
    assert kfp.uploads_sent() == []


def _versions_query():
    from jupyter_kfp_connect.sandbox.filters import parse_list_request
    from jupyter_kfp_connect.sandbox.store import VERSIONS

    return parse_list_request(VERSIONS, "", "200", "", "")


async def test_duplicate_name_offers_the_existing_pipeline(kfp, sb, namespace, scaler_yaml):
    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml", name="dupe")
    assert code == 201, first
    sb.controls.clear_log()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name="dupe")
    assert code == 409, body
    problem = error_of(body)
    assert problem["code"] == "duplicate_name"
    assert problem["details"]["pipeline_id"] == first["pipeline"]["id"]
    assert problem["details"]["kind"] == "pipeline" and problem["details"]["namespace"] == namespace
    assert "new version" in problem["fix"]
    assert kfp.uploads_sent() == []  # found by name first: the 32 MB never travelled
    # ... and the offered action works
    code, version = await kfp.upload(scaler_yaml, "scaler.yaml",
                                     path=f"pipelines/{problem['details']['pipeline_id']}/versions")
    assert code == 201, version


@standalone_only
async def test_invalid_packages_never_reach_kfp(kfp, sb, jp_root_dir):
    await kfp.connect()
    files = corpus_files("invalid")
    sb.controls.clear_log()
    for path in files:
        code, body = await kfp.upload(path.read_bytes(), path.name)
        assert code == 400, (path.name, body)
        assert error_of(body)["code"] == "invalid_package", (path.name, body)
        assert error_of(body)["message"] and error_of(body)["fix"], path.name
        (jp_root_dir / path.name).write_bytes(path.read_bytes())
        code, body = await kfp("POST", "pipelines", {"path": path.name})
        assert code == 400 and error_of(body)["code"] == "invalid_package", (path.name, body)
        code, body = await kfp("POST", "validate", {"path": path.name})
        assert code == 400 and error_of(body)["code"] == "invalid_package", (path.name, body)
    assert sb.controls.request_log() == []  # not one request: validation is local
    assert sb.store.counts()["pipelines"] == 0


@standalone_only
async def test_empty_and_too_large_files_are_refused(kfp, sb, jp_root_dir):
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp.upload(b"", "empty.yaml")
    assert code == 400 and error_of(body)["code"] == "invalid_package"
    assert "empty" in error_of(body)["message"]

    big = b"#" * (33 * 1024 * 1024)
    code, body = await kfp.upload(big, "big.yaml")
    assert code == 413 and error_of(body)["code"] == "package_too_large", body
    (jp_root_dir / "big.yaml").write_bytes(big)
    code, body = await kfp("POST", "pipelines", {"path": "big.yaml"})
    assert code == 413 and error_of(body)["code"] == "package_too_large", body
    # just over 32 MB inside the body limit: the package check catches it
    code, body = await kfp.upload(b"#" * (32 * 1024 * 1024 + 10), "edge.yaml")
    assert code == 413 and error_of(body)["code"] == "package_too_large", body
    assert kfp.uploads_sent() == []


@standalone_only
async def test_paths_outside_the_root_are_refused(kfp, sb, scaler_yaml, jp_root_dir):
    outside = jp_root_dir.parent / "outside.yaml"
    outside.write_bytes(scaler_yaml)
    (jp_root_dir / "link.yaml").symlink_to(outside)
    (jp_root_dir / "sub").mkdir()
    os.symlink(jp_root_dir.parent, jp_root_dir / "sub" / "up")
    await kfp.connect()
    sb.controls.clear_log()
    for path in ("../outside.yaml", "sub/../../outside.yaml", "link.yaml", "sub/up/outside.yaml",
                 "/../outside.yaml"):
        code, body = await kfp("POST", "pipelines", {"path": path})
        assert code == 403 and error_of(body)["code"] == "path_outside_root", (path, body)
        code, body = await kfp("POST", "validate", {"path": path})
        assert code == 403 and error_of(body)["code"] == "path_outside_root", (path, body)
    code, body = await kfp("POST", "pipelines", {"path": "missing.yaml"})
    assert code == 404 and error_of(body)["code"] == "not_found"
    # hidden files stay hidden, as in the file browser (the contents manager's allow_hidden)
    (jp_root_dir / ".secret").mkdir()
    (jp_root_dir / ".secret" / "p.yaml").write_bytes(scaler_yaml)
    (jp_root_dir / ".hidden.yaml").write_bytes(scaler_yaml)
    for path in (".secret/p.yaml", ".hidden.yaml"):
        code, body = await kfp("POST", "validate", {"path": path})
        assert code == 404 and error_of(body)["code"] == "not_found", (path, body)
    code, body = await kfp("POST", "pipelines", {"nothing": "here"})
    assert code == 400 and error_of(body)["code"] == "bad_request"
    code, body = await kfp("POST", "pipelines", {"path": "x" * 70_000})  # not a path: a mistake
    assert code == 400 and error_of(body)["code"] == "bad_request"
    assert kfp.uploads_sent() == []
    # a symlink that stays inside the root is fine
    (jp_root_dir / "real.yaml").write_bytes(scaler_yaml)
    (jp_root_dir / "sub" / "alias.yaml").symlink_to(jp_root_dir / "real.yaml")
    code, body = await kfp("POST", "validate", {"path": "sub/alias.yaml"})
    assert code == 200 and body["name"] == "scaler", body


async def test_failed_upload_leaves_nothing_behind(kfp, sb, namespace, scaler_yaml, monkeypatch):
    """KFP releases that store the pipeline and its first version in two steps keep the
    pipeline when the version step fails; the extension deletes it."""
    from jupyter_kfp_connect.sandbox.base import ApiError

    store = sb.store

    def pipeline_then_failing_version(namespace, name, display_name, description, *args, **kwargs):
        store.create_pipeline(namespace, name, display_name, description)
        raise ApiError(500, "Failed to create a pipeline version: injected storage failure")

    monkeypatch.setattr(store, "create_pipeline_and_version", pipeline_then_failing_version)
    await kfp.connect()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name="half-made")
    problem = error_of(body)
    assert code == 502 and problem["code"] == "kfp_error", body
    assert problem["message"] == ("Kubeflow Pipelines answered 500: Failed to create a pipeline "
                                  "version: injected storage failure"), body
    assert "logs deploy/ml-pipeline" in problem["fix"], body
    assert error_of(body)["details"].get("cleaned_up") is True
    assert _pipelines_named(sb, namespace, "half-made") is None
    assert store.counts()["pipelines"] == 0


async def test_failed_version_upload_leaves_nothing_behind(kfp, sb, scaler_yaml, monkeypatch):
    from jupyter_kfp_connect.sandbox.base import ApiError

    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 201, first
    pid = first["pipeline"]["id"]
    store = sb.store
    real_create = store.create_version

    def stored_then_failing(*args, **kwargs):
        real_create(*args, **kwargs)
        raise ApiError(500, "Failed to create a pipeline version: injected failure after insert")

    monkeypatch.setattr(store, "create_version", stored_then_failing)
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="v2")
    problem = error_of(body)
    assert code == 502 and problem["code"] == "kfp_error", body
    assert problem["details"] == {"kfp_status": 500, "cleaned_up": True}, body
    assert "injected failure after insert" in problem["message"] and problem["fix"], body
    _rows, total, _ = store.list_versions(pid, _versions_query())
    assert total == 1


async def test_lost_answer_is_reported_and_nothing_left(kfp, sb, namespace, scaler_yaml, monkeypatch):
    """The gateway answers 503 to the upload itself: report it, keep the store clean."""
    await kfp.connect()
    lookups = []

    def failing_after_first_lookup(real):
        def lookup(*args, **kwargs):
            lookups.append(args)
            if len(lookups) == 1:  # the pre-upload lookup: the next request is the upload
                sb.controls.fail_next(1, "503")
            return real(*args, **kwargs)
        return lookup

    # a private name is looked up by name, a shared one (and single-user's) by listing
    for method in ("get_pipeline_by_name", "list_pipelines"):
        monkeypatch.setattr(sb.store, method, failing_after_first_lookup(getattr(sb.store, method)))
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name="lost")
    problem = error_of(body)
    assert code == 502 and problem["code"] == "kfp_error", body
    assert problem["details"]["kfp_status"] == 503 and "reset reason" in problem["message"], body
    assert "get pods -l app=ml-pipeline" in problem["fix"], body
    assert len(lookups) == 2  # looked again after the failure
    assert _pipelines_named(sb, namespace, "lost") is None


async def test_delete_version_then_pipeline(kfp, sb, scaler_yaml):
    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml")
    pid = first["pipeline"]["id"]
    code, v2 = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="v2")
    code, v3 = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="v3")
    assert code == 201, v3

    code, body = await kfp("DELETE", f"pipelines/{pid}/versions/{v2['version']['id']}")
    assert code == 200 and body == {"deleted": True, "pipeline_id": pid, "version_id": v2["version"]["id"]}
    code, detail = await kfp("GET", f"pipelines/{pid}")
    assert sorted(v["name"] for v in detail["versions"]) == ["scaler", "v3"]  # same second: any order

    code, body = await kfp("DELETE", f"pipelines/{pid}")  # with its two remaining versions
    assert code == 200 and body == {"deleted": True, "pipeline_id": pid}
    assert sb.store.counts()["pipelines"] == 0 and sb.store.counts()["versions"] == 0
    code, body = await kfp("DELETE", f"pipelines/{pid}")
    assert code == 404 and error_of(body)["code"] == "not_found"


@standalone_only
async def test_validate_previews_without_uploading(kfp, sb, scaler_yaml, jp_root_dir):
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", path="validate")
    assert code == 200, body
    assert body["valid"] is True and body["name"] == "scaler" and body["size"] == len(scaler_yaml)
    assert {p["name"] for p in body["summary"]["parameters"]} == {"x", "label", "verbose", "rounds", "tags"}
    assert sb.controls.request_log() == []


@pytest.mark.parametrize("kfp_mode", ["dex"])
async def test_shared_upload_refused_by_rbac_is_rbac_denied(kfp, sb, scaler_yaml):
    """KFP 2.17 does not check shared uploads at all; a KFP that checks them in its own
    namespace (the sandbox's option) answers a bare 400: the panel gets rbac_denied and the
    RoleBinding for kubeflow."""
    await kfp.connect()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", scope="shared", name="anyone")
    assert code == 201 and body["pipeline"]["shared"] is True, body
    sb.shared_upload_auth = "install_namespace"
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", scope="shared")
    assert code == 403 and error_of(body)["code"] == "rbac_denied", body
    assert "kubeflow" in error_of(body)["yaml"] and "RoleBinding" in error_of(body)["yaml"]
    assert sb.store.counts()["pipelines"] == 1
    sb.rbac.grant(USER, "kubeflow", "edit")
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", scope="shared")
    assert code == 201 and body["pipeline"]["shared"] is True, body
    code, page = await kfp("GET", "pipelines", scope="shared", search="scaler")
    assert [p["id"] for p in page["pipelines"]] == [body["pipeline"]["id"]]


@standalone_only
async def test_uploads_need_jupyter_authentication(kfp, sb, scaler_yaml, jp_base_url, http_server_client):
    """The body is not even kept before Jupyter knows who sends it."""
    from tests.handlers.pipelines_fixtures import multipart

    body, content_type = multipart(scaler_yaml * 200, "scaler.yaml")
    for path in ("kfp-connect/pipelines", "kfp-connect/validate"):
        response = await http_server_client.fetch(
            jp_base_url + path, method="POST", body=body, raise_error=False,
            headers={"Content-Type": content_type})
        assert response.code == 403, (path, response.code)
    assert sb.controls.request_log() == []
