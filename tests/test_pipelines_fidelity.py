"""The pipelines service against KFP 2.17's real behaviours (as the sandbox reproduces them):
RBAC denials on upload are bare 400s, get-by-name without a namespace spans every namespace,
names compare case-insensitively, the filter is unescaped twice, created_at ties within a
second. Each test here failed against the corrected sandbox before the service was fixed."""

import asyncio
import contextlib

import pytest

from jupyter_kfp_connect.connection.config import ConnectionConfig
from jupyter_kfp_connect.connection.session import Connection
from jupyter_kfp_connect.errors import KFPConnectError
from jupyter_kfp_connect.pipelines import ListRequest, PipelinesService
from jupyter_kfp_connect.sandbox import api as sandbox_api
from tests.handlers.pipelines_fixtures import NAMESPACE, PASSWORD, USER, scaler_yaml  # noqa: F401

COLLEAGUE_NS = "alice"  # USER is nobody there until a test grants it


async def _connect(sb, user: str = USER) -> Connection:
    conn = Connection("tester", ConnectionConfig(host=sb.kfp_host, ui_host=sb.url + "/pipeline"))
    if sb.multi_user:
        await conn.login(auth="dex", username=user, password=PASSWORD)
    else:
        await conn.start()
    assert conn.state == "connected", conn.status()
    return conn


@pytest.fixture
def dex(sandbox_factory):
    return sandbox_factory("dex")


@contextlib.asynccontextmanager
async def signed_in(sb):
    """The pipelines service over a signed-in connection (closed afterwards)."""
    conn = await _connect(sb)
    try:
        yield PipelinesService(conn)
    finally:
        await conn.close()


# --- RBAC refusals on upload: a bare 400 --------------------------------------------------------
async def test_upload_refused_by_rbac_is_rbac_denied_for_that_namespace(dex, scaler_yaml):
    dex.rbac.grant(USER, COLLEAGUE_NS, "view")  # the duplicate check may look; the upload is refused
    async with signed_in(dex) as service:
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="nope", namespace=COLLEAGUE_NS)
        problem = caught.value.problem
        assert problem.code == "rbac_denied" and problem.details["namespace"] == COLLEAGUE_NS
        assert f"namespace: {COLLEAGUE_NS}" in problem.yaml and USER in problem.yaml
        assert "Failed to create a pipeline" in problem.message


async def test_version_upload_refused_by_rbac_names_the_pipelines_namespace(dex, scaler_yaml):
    async with signed_in(dex) as service:
        [pid] = dex.controls.seed(COLLEAGUE_NS, 1, prefix="theirs")
        dex.rbac.grant(USER, COLLEAGUE_NS, "view")  # may read it, may not add to it
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="mine")
        problem = caught.value.problem
        assert problem.code == "rbac_denied" and problem.details["namespace"] == COLLEAGUE_NS


async def test_shared_upload_refused_by_the_newer_check_names_kfps_namespace(dex, scaler_yaml):
    async with signed_in(dex) as service:
        dex.shared_upload_auth = "install_namespace"
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="shared-one", scope="shared")
        problem = caught.value.problem
        assert problem.code == "rbac_denied" and "namespace: kubeflow" in problem.yaml


# --- the shared scope never takes another namespace's pipeline ----------------------------------
async def test_shared_lookup_ignores_private_pipelines_of_that_name(dex, scaler_yaml):
    async with signed_in(dex) as service:
        private = dex.store.create_pipeline(COLLEAGUE_NS, "report")
        assert await service.find_by_name("report", "") is None
        created = await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="report", scope="shared")
        assert created["pipeline"]["shared"] and created["pipeline"]["id"] != private["id"]


async def test_failed_shared_upload_leaves_a_colleagues_pipeline_alone(dex, scaler_yaml):
    """USER is a contributor in the colleague's namespace, so KFP would let a delete of the
    colleague's pipeline through: the clean-up must never reach it."""
    dex.rbac.grant(USER, COLLEAGUE_NS, "edit")
    theirs = dex.store.create_pipeline(COLLEAGUE_NS, "report")
    dex.shared_upload_auth = "install_namespace"  # the shared upload fails
    conn = await _connect(dex)
    try:
        with pytest.raises(KFPConnectError) as caught:
            await PipelinesService(conn).upload_pipeline(scaler_yaml, "scaler.yaml", name="report", scope="shared")
    finally:
        await conn.close()
    assert caught.value.problem.code == "rbac_denied"  # not a "duplicate" of their private one
    assert dex.store.get_pipeline(theirs["id"])["namespace"] == COLLEAGUE_NS
    assert not [r for r in dex.controls.request_log() if r["method"] == "DELETE"]


async def test_a_lost_upload_answer_removes_only_what_the_upload_made(dex, scaler_yaml, monkeypatch):
    """KFP made the pipeline but the answer was lost (the gateway's 503): the clean-up finds
    it in the upload's own scope, checks it is new, and deletes it by id; the colleague's
    pipeline of the same name elsewhere is never touched."""
    dex.rbac.grant(USER, COLLEAGUE_NS, "edit")
    theirs = dex.store.create_pipeline(COLLEAGUE_NS, "report")
    real_create = dex.store.create_pipeline_and_version

    def create_then_lose_the_answer(*args, **kwargs):
        real_create(*args, **kwargs)
        raise sandbox_api.ApiError(503, "upstream connect error or disconnect/reset before headers")

    monkeypatch.setattr(dex.store, "create_pipeline_and_version", create_then_lose_the_answer)
    async with signed_in(dex) as service:
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="report")
        with pytest.raises(KFPConnectError) as shared:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="report", scope="shared")
    assert caught.value.problem.details.get("cleaned_up") is True
    deletes = [r for r in dex.controls.request_log() if r["method"] == "DELETE"]
    assert deletes and all(theirs["id"] not in r["path"] for r in deletes)
    assert dex.store.get_pipeline(theirs["id"])  # still there
    # KFP 2.17 lets anyone upload a shared pipeline but checks deleting one in its own
    # namespace: the shared leftover cannot be removed, and the answer says which it is.
    (left,) = [p["id"] for p in dex.store.list_pipelines("", _all())[0]]
    assert shared.value.problem.details.get("left_behind") == left
    assert dex.store.counts()["pipelines"] == 2


def _all():
    from jupyter_kfp_connect.sandbox.filters import parse_list_request
    from jupyter_kfp_connect.sandbox.store import PIPELINES

    return parse_list_request(PIPELINES, "", 200, "", "")


async def test_an_error_answer_needs_no_clean_up(dex, scaler_yaml):
    """KFP creates the pipeline and its first version in one transaction: when it answers an
    error, it made nothing, so nothing is looked up or deleted."""
    dex.rbac.grant(USER, COLLEAGUE_NS, "view")
    async with signed_in(dex) as service:
        with pytest.raises(KFPConnectError):
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="nope", namespace=COLLEAGUE_NS)
        log = dex.controls.request_log()
        assert not [r for r in log if r["method"] == "DELETE"]
        upload_at = max(i for i, r in enumerate(log) if r["path"].endswith("/pipelines/upload"))
        assert not [r for r in log[upload_at + 1:] if r["method"] == "GET"]


# --- duplicates, case-insensitively -------------------------------------------------------------
async def test_duplicate_found_whatever_the_case(dex, scaler_yaml):
    async with signed_in(dex) as service:
        existing = dex.store.create_pipeline(NAMESPACE, "My-Pipe")
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="my-pipe")
        problem = caught.value.problem
        assert problem.code == "duplicate_name" and problem.details["pipeline_id"] == existing["id"]
        assert problem.details["existing_name"] == "My-Pipe" and "My-Pipe" in problem.message


async def test_shared_duplicate_found_whatever_the_case(dex, scaler_yaml):
    async with signed_in(dex) as service:
        existing = dex.store.create_pipeline("", "Shared-Pipe")
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="SHARED-PIPE", scope="shared")
        assert caught.value.problem.details["pipeline_id"] == existing["id"]


async def test_version_duplicate_found_whatever_the_case(dex, scaler_yaml):
    async with signed_in(dex) as service:
        created = await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="versioned")
        pid = created["pipeline"]["id"]
        await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="Release-1")
        with pytest.raises(KFPConnectError) as caught:
            await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="release-1")
        assert caught.value.problem.code == "duplicate_name"
        assert caught.value.problem.details["existing_name"] == "Release-1"


# --- search: filter syntax in the text ----------------------------------------------------------
@pytest.mark.parametrize("search, expected", [
    ("50%", ["50% off"]),
    ("a_b", ["a_b"]),
    ("a+b", ["a+b"]),
    ('"}', ['say "}']),
    ("back\\slash", ["back\\slash"]),
    ("%2B", ["x%2By"]),
])
async def test_search_text_is_literal(dex, search, expected):
    async with signed_in(dex) as service:
        for name in ("50% off", "5000 off", "a_b", "axb", "a+b", "a b", 'say "}', "back\\slash", "backslash",
                     "x%2By", "x+y"):
            dex.store.create_pipeline(NAMESPACE, name)
        page = await service.list(ListRequest(namespace=NAMESPACE, search=search))
        assert sorted(p["name"] for p in page["pipelines"]) == expected


async def test_version_name_lookup_with_filter_syntax(dex, scaler_yaml):
    async with signed_in(dex) as service:
        created = await service.upload_pipeline(scaler_yaml, "scaler.yaml", name="odd-versions")
        pid = created["pipeline"]["id"]
        await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="v 1")
        # "v+1" reaches KFP as "v 1" unless the filter is escaped for its second unescape
        result = await service.upload_version(pid, scaler_yaml, "scaler.yaml", name="v+1")
        assert result["version"]["name"] == "v+1"
        found = await service.find_version_by_name(pid, "100%")
        assert found is None


# --- the latest version, when versions share a second -------------------------------------------
async def test_latest_version_is_stable_when_versions_share_a_second(dex, monkeypatch):
    async with signed_in(dex) as service:
        monkeypatch.setattr(dex.store, "_now_second", lambda: 1_767_225_600_000_000)
        pipeline = dex.store.create_pipeline(NAMESPACE, "tied")
        spec = {"pipelineInfo": {"name": "tied"}, "root": {"dag": {"tasks": {}}}, "schemaVersion": "2.1.0"}
        ids = [dex.store.create_version(pipeline["id"], f"v{i}", "", "", spec)["id"] for i in range(4)]
        dex.store.shuffle_ties = True
        seen = set()
        for _ in range(6):
            detail = await service.get(pipeline["id"])
            seen.add(detail["latest_version"]["id"])
            assert [v["id"] for v in detail["versions"]] == sorted(ids, reverse=True)
        assert seen == {max(ids)}
        await asyncio.sleep(0)
