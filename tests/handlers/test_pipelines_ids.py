"""Ids and names never reshape a KFP URL: ``DELETE pipelines/P/versions/%2e%2e`` once reached
KFP as ``DELETE pipelines/P`` (URL libraries normalise dot segments, encoded or not) and
deleted P. Tested against the sandbox: nothing is deleted and nothing odd is sent."""

import uuid
from urllib.parse import unquote

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import error_of

standalone_only = pytest.mark.parametrize("kfp_mode", ["standalone"])
NOT_IDS = ["%2e%2e", "%2E%2E", "..", "%2e", "x%2F..%2F..", "P%3Fcascade%3Dtrue", "%00", "not-an-id"]


@standalone_only
@pytest.mark.parametrize("bad", NOT_IDS)
async def test_a_version_that_is_not_an_id_deletes_nothing(kfp, sb, scaler_yaml, bad):
    await kfp.connect()
    code, made = await kfp.upload(scaler_yaml, "scaler.yaml")
    pid = made["pipeline"]["id"]
    sb.controls.clear_log()
    code, body = await kfp("DELETE", f"pipelines/{pid}/versions/{bad}")
    assert code in (400, 404), body  # 404: Tornado's own router, for a path with an empty segment
    if code == 400:
        assert error_of(body)["code"] == "bad_request"
    assert [e for e in sb.controls.request_log() if e["method"] == "DELETE"] == []
    code, still = await kfp("GET", f"pipelines/{pid}")
    assert code == 200 and still["pipeline"]["id"] == pid


@standalone_only
@pytest.mark.parametrize("bad", NOT_IDS)
async def test_a_pipeline_that_is_not_an_id_is_refused(kfp, sb, bad):
    await kfp.connect()
    sb.controls.seed("", 1)
    sb.controls.clear_log()
    for method in ("GET", "DELETE"):
        code, body = await kfp(method, f"pipelines/{bad}")
        assert code in (400, 404), body
    assert sb.controls.request_log() == []
    assert sb.store.counts()["pipelines"] == 1


@standalone_only
async def test_an_unknown_id_is_kfps_404(kfp):
    await kfp.connect()
    code, body = await kfp("GET", f"pipelines/{uuid.uuid4()}")
    assert code == 404 and error_of(body)["code"] == "not_found"


@pytest.mark.parametrize("kfp_mode", ["dex"])  # names/{name} serves namespaced lookups
@pytest.mark.parametrize("name", ["..", ".", "a/../b", "a?b=c", "x#y", "50%"])
async def test_names_stay_one_segment(kfp, sb, scaler_yaml, name):
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml", name=name)
    if set(name) <= {"."}:
        assert code == 400 and error_of(body)["code"] == "bad_request", body
        assert not [e for e in sb.controls.request_log() if e["method"] != "GET" or "/names/" in e["path"]]
        return
    marker = "/apis/v2beta1/pipelines/names/"
    looked_up = {e["path"] for e in sb.controls.request_log() if marker in e["path"]}
    segments = {path.split(marker, 1)[1] for path in looked_up}
    assert segments and all("/" not in s and unquote(s) == name for s in segments), looked_up


@standalone_only
@pytest.mark.parametrize("path", ["manifests/export", "manifests/apply"])
@pytest.mark.parametrize("bad", ["..", "%2e%2e", "a/b", "x?y"])
async def test_export_refuses_ids_before_any_kfp_call(kfp, sb, scaler_yaml, path, bad):
    """manifests.export_version put both ids into KFP URLs unchecked (apply exports first)."""
    await kfp.connect()
    code, made = await kfp.upload(scaler_yaml, "scaler.yaml")
    pid = made["pipeline"]["id"]
    for fields in ({"pipeline_id": bad}, {"pipeline_id": pid, "version_id": bad},
                   {"pipeline_id": bad, "version_id": made["version"]["id"]}):
        sb.controls.clear_log()
        code, body = await kfp("POST", path, fields)
        assert code == 400 and error_of(body)["code"] == "bad_request", (fields, body)
        assert "UUID" in error_of(body)["message"] and error_of(body)["fix"], body
        assert sb.controls.request_log() == [], fields
