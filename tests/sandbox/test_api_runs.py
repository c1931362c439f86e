"""Runs as KFP 2.17 moves and refuses them: task details with timings, chosen outcomes,
terminate / retry / archive / unarchive / delete by state, the Default experiment, the
service account, and CreateRun's error codes (see docs/fidelity.md, "Runs and experiments")."""

from __future__ import annotations

import time

import httpx
import pytest

from jupyter_kfp_connect.sandbox.base import ApiError

API = "/apis/v2beta1"


@pytest.fixture
def pipeline(sandbox, upload, compiled) -> dict:
    sandbox.store.run_starts_after, sandbox.store.run_finishes_after = 0.1, 0.7
    return upload(compiled["tiny"], name="tiny").json()


def _start(http, pipeline: dict, name: str = "r", **extra) -> dict:
    body = {"display_name": name, "pipeline_version_reference": {"pipeline_id": pipeline["pipeline_id"]},
            "runtime_config": {"parameters": {"x": 3}}, **extra}
    response = http.post(f"{API}/runs", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _until(http, run_id: str, states: set[str], timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = http.get(f"{API}/runs/{run_id}").json()
        if run["state"] in states or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def _error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    return body["message"]


def test_a_run_moves_through_its_tasks_with_timings(http, pipeline) -> None:
    run = _start(http, pipeline)
    assert run["state"] == "PENDING" and "run_details" not in run  # no workflow nodes yet
    assert run["service_account"] == "pipeline-runner"  # KFP's default runner (standalone)
    done = _until(http, run["run_id"], {"SUCCEEDED"})
    assert done["state"] == "SUCCEEDED" and done["finished_at"] != "1970-01-01T00:00:00Z"
    assert [h["state"] for h in done["state_history"]] == ["PENDING", "RUNNING", "SUCCEEDED"]
    tasks = {t["display_name"]: t for t in done["run_details"]["task_details"]}
    # The root DAG node (named after the workflow) and one node per task of the spec.
    assert {"add", "add-2", "say"} <= set(tasks) and len(tasks) == 4
    assert all(t["state"] == "SUCCEEDED" for t in tasks.values())
    assert tasks["add"]["end_time"] <= tasks["add-2"]["start_time"] <= tasks["say"]["start_time"]
    root = next(t for name, t in tasks.items() if name not in ("add", "add-2", "say"))
    assert len(root["child_tasks"]) == 3 and all("pod_name" in c for c in root["child_tasks"])
    listed = http.get(f"{API}/runs").json()["runs"]
    assert "run_details" not in listed[0]  # ListRuns: tasks are a detail


def test_tests_choose_the_outcome_per_run_or_task(sandbox, http, pipeline) -> None:
    sandbox.controls.run_outcome("doomed", "FAILED", task="add-2")
    run = _start(http, pipeline, "doomed")
    failed = _until(http, run["run_id"], {"FAILED"})
    assert failed["state"] == "FAILED"
    states = {t["display_name"]: t["state"] for t in failed["run_details"]["task_details"]}
    assert states["add"] == "SUCCEEDED" and states["add-2"] == "FAILED"
    assert "say" not in states  # never started after the failure
    # Through HTTP too, by run id, before the run ends.
    other = _start(http, pipeline, "other")
    answer = http.post("/_sandbox/run_outcome", json={"run": other["run_id"], "state": "FAILED"})
    assert answer.json() == {"changed": [other["run_id"]]}
    assert _until(http, other["run_id"], {"FAILED"})["state"] == "FAILED"


def test_terminate_only_while_it_runs(sandbox, http, pipeline) -> None:
    timing = http.post("/_sandbox/run_timing", json={"finishes_after": 5, "terminate_settles_after": 0.3})
    assert timing.json() == {"starts_after": 0.1, "finishes_after": 5.0, "terminate_settles_after": 0.3}
    run = _start(http, pipeline)
    assert http.post(f"{API}/runs/{run['run_id']}:terminate").json() == {}
    assert http.get(f"{API}/runs/{run['run_id']}").json()["state"] == "CANCELING"
    ended = _until(http, run["run_id"], {"FAILED"})
    assert ended["state"] == "FAILED"  # Argo's terminated workflow ends Failed; KFP reports that
    message = _error(http.post(f"{API}/runs/{run['run_id']}:terminate"), 400, 3)
    assert message.startswith("Failed to terminate a run") and "Row not found" in message
    sandbox.controls.reset()  # timings back to the defaults, the Default experiment back
    assert sandbox.controls.run_timing() == {"starts_after": 1.0, "finishes_after": 3.0,
                                             "terminate_settles_after": 0.5}
    assert [e["display_name"] for e in http.get(f"{API}/experiments").json()["experiments"]] == ["Default"]


def test_retry_only_a_failed_run_and_it_keeps_what_succeeded(sandbox, http, pipeline) -> None:
    sandbox.controls.run_outcome("flaky", "FAILED", task="say")
    run = _start(http, pipeline, "flaky")
    message = _error(http.post(f"{API}/runs/{run['run_id']}:retry"), 400, 3)
    assert "Workflow must be Failed/Error to retry" in message
    failed = _until(http, run["run_id"], {"FAILED"})
    first = {t["display_name"]: t for t in failed["run_details"]["task_details"]}
    assert http.post(f"{API}/runs/{run['run_id']}:retry").json() == {}
    again = http.get(f"{API}/runs/{run['run_id']}").json()
    assert again["state"] == "RUNNING" and again["finished_at"] == "1970-01-01T00:00:00Z"
    done = _until(http, run["run_id"], {"SUCCEEDED"})
    tasks = {t["display_name"]: t for t in done["run_details"]["task_details"]}
    assert tasks["say"]["state"] == "SUCCEEDED"
    assert tasks["add"]["end_time"] == first["add"]["end_time"]  # not run again


def test_archive_unarchive_and_delete(http, pipeline) -> None:
    experiment = http.post(f"{API}/experiments", json={"display_name": "e"}).json()
    run = _start(http, pipeline, experiment_id=experiment["experiment_id"])
    assert http.post(f"{API}/runs/{run['run_id']}:archive").json() == {}
    assert http.get(f"{API}/runs/{run['run_id']}").json()["storage_state"] == "ARCHIVED"
    http.post(f"{API}/experiments/{experiment['experiment_id']}:archive")
    message = _error(http.post(f"{API}/runs/{run['run_id']}:unarchive"), 400, 9)  # FAILED_PRECONDITION
    assert "must be un-archived first" in message
    http.post(f"{API}/experiments/{experiment['experiment_id']}:unarchive")
    assert http.post(f"{API}/runs/{run['run_id']}:unarchive").json() == {}
    assert http.delete(f"{API}/runs/{run['run_id']}").json() == {}  # any state
    _error(http.get(f"{API}/runs/{run['run_id']}"), 404, 5)


def test_create_run_refusals_follow_kfp(http, pipeline) -> None:
    reference = {"pipeline_id": pipeline["pipeline_id"]}
    # No display name: toModelRun's internal error.
    assert "Run name cannot be empty" in _error(
        http.post(f"{API}/runs", json={"pipeline_version_reference": reference}), 500, 13)
    # An unknown version: "error fetching manifest", also internal.
    unknown = {**reference, "pipeline_version_id": "no-such-version"}
    assert "error fetching manifest" in _error(
        http.post(f"{API}/runs", json={"display_name": "r", "pipeline_version_reference": unknown}), 500, 13)
    # Inputs: one problem at a time, each an invalid argument.
    wrong = http.post(f"{API}/runs", json={"display_name": "r", "pipeline_version_reference": reference,
                                           "runtime_config": {"parameters": {"x": "abc"}}})
    assert "requires type double or integer" in _error(wrong, 400, 3)
    extra = http.post(f"{API}/runs", json={"display_name": "r", "pipeline_version_reference": reference,
                                           "runtime_config": {"parameters": {"nope": 1}}})
    assert "not required by pipeline: nope" in _error(extra, 400, 3)


def test_default_experiment_standalone_and_not_multi_user(sandbox_factory, http, pipeline) -> None:
    experiments = http.get(f"{API}/experiments").json()["experiments"]
    assert [e["display_name"] for e in experiments] == ["Default"]
    run = _start(http, pipeline)
    assert run["experiment_id"] == experiments[0]["experiment_id"]
    multi = sandbox_factory("in-cluster")
    assert multi.store.counts()["experiments"] == 0
    with pytest.raises(ApiError):
        multi.store.get_experiment("Default")
    assert multi.default_service_account == "default-editor"
