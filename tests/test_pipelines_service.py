"""The pipelines service over a real Connection to the sandbox (no Jupyter server between):
private pipelines found by name, deleting where KFP cannot cascade, platform-spec packages,
RBAC denials, and the request checks."""

import json
import re

import pytest

from jupyter_kfp_connect.connection.config import ConnectionConfig
from jupyter_kfp_connect.connection.session import Connection
from jupyter_kfp_connect.errors import KFPConnectError
from jupyter_kfp_connect.pipelines import (
    ListRequest, PipelinesService, default_version_name, name_filter,
)
from tests.handlers.pipelines_fixtures import NAMESPACE, PASSWORD, USER, scaler_yaml  # noqa: F401

PLATFORM_DOC = b"\n---\nplatforms:\n  kubernetes:\n    pipelineConfig: {}\n"


async def _connect(sb) -> Connection:
    conn = Connection("tester", ConnectionConfig(host=sb.kfp_host, ui_host=sb.url + "/pipeline"))
    if sb.multi_user:
        await conn.login(auth="dex", username=USER, password=PASSWORD)
    else:
        await conn.start()
    assert conn.state == "connected", conn.status()
    return conn


@pytest.fixture
def dex(sandbox_factory):
    return sandbox_factory("dex")


async def test_private_pipeline_found_by_name_and_versioned(dex, scaler_yaml):
    conn = await _connect(dex)
    try:
        service = PipelinesService(conn)
        created = await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="private-one")
        pid = created["pipeline"]["id"]
        # a namespace-less lookup (what kfp.Client.get_pipeline_id does) cannot see it ...
        assert await service.find_by_name("private-one", "") is None
        # ... the namespaced one can
        found = await service.find_by_name("private-one", NAMESPACE)
        assert found and found["pipeline_id"] == pid
        result = await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="second")
        assert result["version"]["name"] == "second" and result["pipeline"]["namespace"] == NAMESPACE
    finally:
        await conn.close()


async def test_delete_falls_back_when_kfp_cannot_cascade(dex, monkeypatch):
    """KFP before 2.4 ignores ``cascade`` and refuses a pipeline with versions."""
    [pid] = dex.store.seed(NAMESPACE, 1, versions=230, prefix="many")
    real_delete = dex.store.delete_pipeline
    monkeypatch.setattr(dex.store, "delete_pipeline", lambda pipeline_id, cascade=False: real_delete(pipeline_id))
    conn = await _connect(dex)
    try:
        await PipelinesService(conn).delete_pipeline(pid)
    finally:
        await conn.close()
    assert dex.store.counts()["pipelines"] == 0 and dex.store.counts()["versions"] == 0
    deletes = [r for r in dex.controls.request_log() if r["method"] == "DELETE"]
    assert len(deletes) == 1 + 230 + 1  # refused cascade, each version, the pipeline


async def test_platform_spec_package_summarised(sandbox, scaler_yaml):
    conn = await _connect(sandbox)
    try:
        service = PipelinesService(conn)
        created = await service.upload_pipeline(scaler_yaml + PLATFORM_DOC, "scaler.yaml")
        version = await service.get_version(created["pipeline"]["id"], created["version"]["id"])
    finally:
        await conn.close()
    assert version["summary"]["name"] == "scaler"
    assert [t["name"] for t in version["summary"]["tasks"]] == ["scale", "scale-2", "report"]


async def test_stored_spec_is_summarised_off_the_event_loop(sandbox, scaler_yaml, monkeypatch):
    """A stored spec is whatever KFP holds (another client's 8,000 tasks): opening a pipeline
    or a version summarizes it in a thread, never on the loop's."""
    import threading

    from jupyter_kfp_connect import packages

    threads: list[int] = []
    real = packages.summarize

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    conn = await _connect(sandbox)
    try:
        service = PipelinesService(conn)
        created = await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="off-the-loop")
        monkeypatch.setattr(packages, "summarize", recording)
        version = await service.get_version(created["pipeline"]["id"], created["version"]["id"])
        detail = await service.get(created["pipeline"]["id"])
    finally:
        await conn.close()
    assert version["summary"]["name"] == detail["latest_version"]["summary"]["name"] == "scaler"
    assert len(threads) == 2 and threading.get_ident() not in threads


async def test_rbac_denial_and_missing_namespace(dex):
    conn = await _connect(dex)
    try:
        service = PipelinesService(conn)
        with pytest.raises(KFPConnectError) as denied:
            await service.list(ListRequest(namespace="someone-else"))
        assert denied.value.code == "rbac_denied" and denied.value.status == 403
        assert "RoleBinding" in denied.value.problem.yaml
        conn.set_namespace("", remember=False)
        with pytest.raises(KFPConnectError) as unscoped:
            await service.list(ListRequest())
        assert unscoped.value.code == "bad_request"
        shared = await service.list(ListRequest(scope="shared"))
        assert shared["namespace"] == "" and shared["pipelines"] == []
    finally:
        await conn.close()


def test_list_request_checks_and_normalises():
    req = ListRequest.parse(scope="", page_size="", sort_by="  Display_Name   DESC ")
    assert (req.scope, req.page_size, req.sort_by) == ("private", 20, "display_name desc")
    for bad in ({"scope": "all"}, {"page_size": "500"}, {"sort_by": "created_at sideways"},
                {"sort_by": "run_id"}):
        with pytest.raises(KFPConnectError) as caught:
            ListRequest.parse(**bad)
        assert caught.value.code == "bad_request", bad


def test_name_filter_is_kfps_json_filter():
    assert json.loads(name_filter('a "quoted" name')) == {"predicates": [
        {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": 'a "quoted" name'}]}


def test_default_version_name():
    assert re.fullmatch(r"my-pipe-\d{8}-\d{6}", default_version_name("my-pipe"))


async def test_denial_on_a_pipeline_by_id_names_its_namespace(dex):
    """Reading, versioning and deleting go by id; the RoleBinding must be for the pipeline's
    namespace (from KFP's denial), not for the shared one."""
    [pid] = dex.controls.seed("alice", 1, prefix="alices")
    dex.rbac.grant(USER, "alice", "view")  # may look, may not change
    conn = await _connect(dex)
    try:
        service = PipelinesService(conn)
        detail = await service.get(pid)
        assert detail["pipeline"]["namespace"] == "alice"
        with pytest.raises(KFPConnectError) as denied:
            await service.delete_pipeline(pid)
    finally:
        await conn.close()
    problem = denied.value.problem
    assert problem.code == "rbac_denied" and problem.details["namespace"] == "alice"
    assert "namespace alice" in problem.message and "namespace: alice" in problem.yaml
    assert dex.store.counts()["pipelines"] == 1
