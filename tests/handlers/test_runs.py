"""kfp-connect/runs, runs/{id}, runs/{id}/{action}, runs/validate and experiments against the
sandbox (standalone and multi-user behind Dex): typed parameter checks reported together,
names resolved with few KFP calls, task states on the DAG, the actions KFP allows, and the
version detail's parameters and DAG."""

import asyncio

import pytest

from tests.handlers.pipelines_fixtures import *
from tests.connection.kfp_fixtures import tracebacks  # noqa: F401
from tests.handlers.pipelines_fixtures import API, error_of


async def _upload_scaler(kfp, sb, scaler_yaml) -> dict:
    """The uploaded scaler pipeline: ``{pipeline, version}``; runs take 0.1 s to start, 0.8 s to end."""
    sb.store.run_starts_after, sb.store.run_finishes_after = 0.1, 0.8
    await kfp.connect()
    code, body = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 201, body
    return body


async def _wait(kfp, run_id: str, states: set, timeout: float = 8.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        code, run = await kfp("GET", f"runs/{run_id}")
        assert code == 200, run
        if run["state"] in states or loop.time() > deadline:
            return run
        await asyncio.sleep(0.1)


def _kfp_calls(sb, method: str | None = None) -> list[dict]:
    return [r for r in sb.controls.request_log() if API in r["path"] and (method is None or r["method"] == method)]


async def test_version_detail_has_typed_parameters_and_a_dag(kfp, sb, scaler_yaml):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    pipeline, version = scaler["pipeline"], scaler["version"]
    code, body = await kfp("GET", f"pipelines/{pipeline['id']}/versions/{version['id']}")
    assert code == 200, body
    params = {p["name"]: p for p in body["summary"]["parameters"]}
    assert {n: p["type"] for n, p in params.items()} == {
        "x": "NUMBER_DOUBLE", "label": "STRING", "verbose": "BOOLEAN", "rounds": "NUMBER_INTEGER", "tags": "LIST"}
    assert params["rounds"]["default"] == 3 and params["rounds"]["optional"] is True
    dag = body["summary"]["dag"]
    assert [n["id"] for n in dag["nodes"]] == ["scale", "scale-2", "report"]
    assert {(e["from"], e["to"]) for e in dag["edges"]} == {("scale", "scale-2"), ("scale-2", "report")}


async def test_create_run_reports_every_parameter_problem_at_once(kfp, sb, scaler_yaml):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    pipeline = scaler["pipeline"]
    sb.controls.clear_log()
    bad = {"rounds": "abc", "verbose": "maybe", "tags": "[1,", "nope": 1}
    code, body = await kfp("POST", "runs", {"pipeline_id": pipeline["id"], "display_name": "bad",
                                            "parameters": bad})
    assert code == 400, body
    error = error_of(body)
    assert error["code"] == "invalid_parameters"
    assert set(error["details"]["errors"]) == {"rounds", "verbose", "tags", "nope"}
    assert "whole number" in error["details"]["errors"]["rounds"]
    assert "x, label, verbose, rounds, tags" in error["details"]["errors"]["nope"] or \
        "label" in error["details"]["errors"]["nope"]
    assert {p["name"] for p in error["details"]["parameters"]} == {"x", "label", "verbose", "rounds", "tags"}
    assert "rounds (integer, default 3)" in error["fix"]
    assert not _kfp_calls(sb, "POST")  # nothing was started

    # The same check without starting anything; text from a form is read by type.
    code, checked = await kfp("POST", "runs/validate", {"pipeline_id": pipeline["id"], "parameters": {
        "rounds": "5", "verbose": "false", "tags": '["a"]', "x": "2.5"}})
    assert code == 200 and checked["ok"] is True and checked["errors"] == {}
    code, checked = await kfp("POST", "runs/validate", {"pipeline_id": pipeline["id"], "parameters": {"x": "two"}})
    assert code == 200 and checked["ok"] is False and list(checked["errors"]) == ["x"]


async def test_create_list_and_detail_with_names_and_task_states(kfp, sb, scaler_yaml, namespace):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    pipeline, version = scaler["pipeline"], scaler["version"]
    code, run = await kfp("POST", "runs", {
        "pipeline_id": pipeline["id"], "display_name": "nightly", "description": "d",
        "parameters": {"x": 2, "rounds": "4", "tags": ["z"]}, "experiment_name": "team-exp"})
    assert code == 200, run
    assert run["display_name"] == "nightly" and run["pipeline_name"] == pipeline["display_name"]
    assert run["pipeline_version_id"] == version["id"] and run["pipeline_version_name"]
    assert run["experiment_name"] == "team-exp" and run["state"] in ("PENDING", "RUNNING")
    assert run["ui_url"].endswith(f"/#/runs/details/{run['run_id']}")
    assert run["service_account"] == ("default-editor" if sb.multi_user else "pipeline-runner")

    done = await _wait(kfp, run["run_id"], {"SUCCEEDED"})
    assert done["state"] == "SUCCEEDED" and done["finished_at"]
    assert done["parameters"] == {"x": 2, "rounds": 4, "tags": ["z"]}  # typed as the spec says
    assert {n["id"]: n["state"] for n in done["dag"]["nodes"]} == {
        "scale": "SUCCEEDED", "scale-2": "SUCCEEDED", "report": "SUCCEEDED"}
    assert {t["name"] for t in done["tasks"]} >= {"scale", "scale-2", "report"}
    assert all(t["start_time"] and t["end_time"] for t in done["tasks"])
    assert done["actions"] == {"terminate": False, "retry": False, "archive": True, "unarchive": False,
                               "delete": True}

    # A list refresh with known names is one KFP call.
    sb.controls.clear_log()
    code, listed = await kfp("GET", "runs")
    assert code == 200, listed
    assert [r["run_id"] for r in listed["runs"]] == [run["run_id"]] and listed["total_size"] == 1
    assert listed["runs"][0]["experiment_name"] == "team-exp"
    assert len(_kfp_calls(sb)) == 1
    code, by_state = await kfp("GET", "runs", state="RUNNING")
    assert code == 200 and by_state["runs"] == []
    code, by_pipeline = await kfp("GET", "runs", pipeline_id=pipeline["id"])
    assert code == 200 and [r["run_id"] for r in by_pipeline["runs"]] == [run["run_id"]]
    code, other = await kfp("GET", "runs", pipeline_id="someone-else")
    assert code == 200 and other["runs"] == []

    code, experiments = await kfp("GET", "experiments", search="team")
    assert code == 200 and [e["display_name"] for e in experiments["experiments"]] == ["team-exp"]
    assert experiments["experiments"][0]["namespace"] == namespace


async def test_terminate_retry_archive_delete(kfp, sb, scaler_yaml):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    pipeline = scaler["pipeline"]
    sb.store.run_finishes_after = 6
    code, run = await kfp("POST", "runs", {"pipeline_id": pipeline["id"], "display_name": "long"})
    assert code == 200, run
    code, detail = await kfp("GET", f"runs/{run['run_id']}")
    assert detail["actions"]["terminate"] is True and detail["actions"]["retry"] is False
    code, stopped = await kfp("POST", f"runs/{run['run_id']}/terminate")
    assert code == 200 and stopped["state"] == "CANCELING"
    failed = await _wait(kfp, run["run_id"], {"FAILED"})
    assert failed["actions"]["retry"] is True and failed["actions"]["terminate"] is False
    assert failed["error_message"] == "The run was terminated."
    code, again = await kfp("POST", f"runs/{run['run_id']}/terminate")
    assert code == 400 and error_of(again)["code"] == "bad_request"
    assert "terminate" in error_of(again)["message"]

    sb.store.run_finishes_after = 0.8
    code, retried = await kfp("POST", f"runs/{run['run_id']}/retry")
    assert code == 200 and retried["state"] == "RUNNING" and retried["finished_at"] is None
    assert (await _wait(kfp, run["run_id"], {"SUCCEEDED"}))["state"] == "SUCCEEDED"

    code, archived = await kfp("POST", f"runs/{run['run_id']}/archive")
    assert code == 200 and archived["storage_state"] == "ARCHIVED"
    code, listed = await kfp("GET", "runs")
    assert listed["runs"] == []  # archived runs are listed only when asked for
    code, listed = await kfp("GET", "runs", archived="true")
    assert [r["run_id"] for r in listed["runs"]] == [run["run_id"]]
    code, restored = await kfp("POST", f"runs/{run['run_id']}/unarchive")
    assert code == 200 and restored["storage_state"] == "AVAILABLE"
    code, deleted = await kfp("DELETE", f"runs/{run['run_id']}")
    assert code == 200 and deleted == {}
    code, gone = await kfp("GET", f"runs/{run['run_id']}")
    assert code == 404 and error_of(gone)["code"] == "not_found"


async def test_a_failed_task_shows_on_the_dag(kfp, sb, scaler_yaml):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    sb.controls.run_outcome("breaks", "FAILED", task="scale-2")
    code, run = await kfp("POST", "runs", {"pipeline_id": scaler["pipeline"]["id"], "display_name": "breaks"})
    assert code == 200, run
    failed = await _wait(kfp, run["run_id"], {"FAILED"})
    states = {n["id"]: n["state"] for n in failed["dag"]["nodes"]}
    assert states == {"scale": "SUCCEEDED", "scale-2": "FAILED", "report": "PENDING"}
    assert "scale-2" in failed["error_message"]


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_bad_input_is_a_400_never_a_500(kfp, sb, scaler_yaml):
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    pipeline = scaler["pipeline"]
    for path, body in [
        ("runs", {"display_name": "x"}),  # no pipeline
        ("runs", {"pipeline_id": pipeline["id"]}),  # no name
        ("runs", {"pipeline_id": pipeline["id"], "display_name": "x", "parameters": [1]}),
        ("runs/validate", {"pipeline_id": pipeline["id"], "parameters": "x=1"}),
    ]:
        code, answer = await kfp("POST", path, body)
        assert code == 400, (path, body, answer)
        assert error_of(answer)["code"] in ("bad_request", "invalid_parameters")
    for query in ({"page_size": "0"}, {"sort_by": "nonsense"}, {"state": "DONE"}, {"archived": "maybe"}):
        code, answer = await kfp("GET", "runs", **query)
        assert code == 400 and error_of(answer)["code"] == "bad_request", query
    code, answer = await kfp("GET", "runs/0b5e1a4c-1f2e-4d3c-9a8b-7c6d5e4f3a2b")
    assert code == 404
    for not_an_id in ("no-such-run", "..", "%2e%2e"):  # never put into a KFP URL
        code, answer = await kfp("DELETE", f"runs/{not_an_id}")
        assert code in (400, 404) and error_of(answer)["code"] in ("bad_request", "http_error"), answer
    code, answer = await kfp("POST", "runs", {"pipeline_id": pipeline["id"], "display_name": "x",
                                              "pipeline_version_id": "no-such-version"})
    assert code in (400, 404, 502) and code != 500, answer


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_json_too_deep_to_decode_is_a_400_never_a_500(kfp, sb, scaler_yaml, tracebacks):
    """json.loads raises RecursionError, not ValueError, past the stack's depth: request bodies
    (read on the loop up to 64 KB, in a thread above) and parameter values given as JSON text."""
    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    for depth in (20_000, 50_000):  # a 40 KB and a 100 KB body
        raw = "[" * depth + "]" * depth
        for path in ("runs", "runs/validate", "manifests/export"):
            code, answer = await kfp._fetch("POST", path, body=raw)
            assert code == 400 and error_of(answer)["code"] == "bad_request", (path, depth, answer)
    deep = "[" * 50_000 + "]" * 50_000
    code, answer = await kfp("POST", "runs/validate", {"pipeline_id": scaler["pipeline"]["id"],
                                                       "parameters": {"tags": deep, "rounds": deep}})
    assert code == 200 and answer["ok"] is False, answer
    assert {"tags", "rounds"} <= set(answer["errors"]), answer["errors"]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


def _schema_fields(spec, name) -> set:
    schema = spec["components"]["schemas"][name]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            names |= _schema_fields(spec, part["$ref"].rsplit("/", 1)[1])
        names |= set(part.get("properties", {}))
    return names


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_openapi_documents_every_runs_route_and_answer(kfp, sb, scaler_yaml):
    import re
    from importlib import resources

    import yaml

    from jupyter_kfp_connect.handlers import runs as run_handlers

    spec = yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())
    for pattern, handler in run_handlers.ROUTES:
        names = iter(("run_id", "action"))
        path = "/" + re.sub(r"\([^)]*\)", lambda _m, names=names: "{" + next(names) + "}", pattern)
        documented = spec["paths"].get(path)
        assert documented is not None, pattern
        methods = {m for m in ("get", "post", "delete") if m in handler.__dict__}
        assert methods == {m for m in documented if m in ("get", "post", "delete")}, pattern

    scaler = await _upload_scaler(kfp, sb, scaler_yaml)
    code, run = await kfp("POST", "runs", {"pipeline_id": scaler["pipeline"]["id"], "display_name": "doc"})
    assert code == 200 and set(run) == _schema_fields(spec, "Run")
    code, page = await kfp("GET", "runs")
    assert set(page) == _schema_fields(spec, "RunPage") and set(page["runs"][0]) == _schema_fields(spec, "Run")
    done = await _wait(kfp, run["run_id"], {"SUCCEEDED"})
    assert set(done) == _schema_fields(spec, "RunDetail")
    assert all(set(t) == _schema_fields(spec, "RunTask") for t in done["tasks"])
    code, check = await kfp("POST", "runs/validate", {"pipeline_id": scaler["pipeline"]["id"], "parameters": {}})
    assert set(check) == _schema_fields(spec, "ParameterCheck")
    assert all(set(p) == _schema_fields(spec, "ParameterSpec") for p in check["parameters"])
    code, experiments = await kfp("GET", "experiments")
    assert all(set(e) == _schema_fields(spec, "Experiment") for e in experiments["experiments"])
    code, bad = await kfp("POST", "runs", {"pipeline_id": scaler["pipeline"]["id"], "display_name": "x",
                                           "parameters": {"nope": 1}})
    assert bad["error"]["code"] in spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
