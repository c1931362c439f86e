"""Single resources over raw HTTP: get/by-name/delete, JSON-created versions, experiments,
runs, gRPC-gateway errors, and a file store that survives a restart."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

API = "/apis/v2beta1"


def _grpc_error(response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"] and isinstance(body["details"], list)
    return body


def test_healthz(http) -> None:
    assert http.get(f"{API}/healthz").json() == {
        "commit_sha": "sandbox", "tag_name": "2.17.0", "multi_user": False, "pipeline_store": "database"}


def test_unknown_path_and_missing_ids_are_grpc_404(http) -> None:
    _grpc_error(http.get(f"{API}/no-such-thing"), 404, 5)
    _grpc_error(http.get(f"{API}/pipelines/missing"), 404, 5)
    _grpc_error(http.get(f"{API}/pipelines/missing/versions/missing"), 404, 5)
    _grpc_error(http.get(f"{API}/experiments/missing"), 404, 5)
    _grpc_error(http.get(f"{API}/runs/missing"), 404, 5)
    _grpc_error(http.delete(f"{API}/pipelines/missing"), 404, 5)


def test_get_by_name_delete_and_cascade(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, versions=2, prefix="doomed")
    got = http.get(f"{API}/pipelines/{pipeline_id}").json()
    assert got["name"] == "doomed-00001" and got["created_at"].endswith("Z")
    assert http.get(f"{API}/pipelines/names/doomed-00001").json()["pipeline_id"] == pipeline_id
    _grpc_error(http.get(f"{API}/pipelines/names/nobody"), 404, 5)
    refused = _grpc_error(http.delete(f"{API}/pipelines/{pipeline_id}"), 400, 3)
    assert "cascade=true" in refused["message"]
    assert http.delete(f"{API}/pipelines/{pipeline_id}", params={"cascade": "true"}).json() == {}
    assert sandbox.store.counts()["versions"] == 0
    _grpc_error(http.get(f"{API}/pipelines/{pipeline_id}"), 404, 5)


def test_single_user_ignores_the_namespace(sandbox, http) -> None:
    sandbox.store.seed("", 2)
    listed = http.get(f"{API}/pipelines", params={"namespace": "kubeflow-user-example-com"}).json()
    assert listed["total_size"] == 2


def test_create_pipeline_without_version_and_rename(http) -> None:
    created = http.post(f"{API}/pipelines", json={"name": "bare", "description": "no versions"}).json()
    assert created["display_name"] == "bare"
    _grpc_error(http.post(f"{API}/pipelines", json={"name": "bare"}), 409, 6)
    _grpc_error(http.post(f"{API}/pipelines", json={"description": "nameless"}), 400, 3)
    renamed = http.patch(f"{API}/pipelines/{created['pipeline_id']}", json={"display_name": "Bare"}).json()
    assert renamed["display_name"] == "Bare" and renamed["name"] == "bare"
    assert http.delete(f"{API}/pipelines/{created['pipeline_id']}").json() == {}


@pytest.fixture
def package_server(compiled):
    """A plain HTTP server holding the compiled package, for KFP's package_url endpoints."""
    data = compiled["tiny"].read_bytes()

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            found = self.path == "/tiny.yaml"
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(data if found else b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_create_from_package_url(http, package_server) -> None:
    body = {"pipeline": {"display_name": "From URL"},
            "pipeline_version": {"package_url": {"pipeline_url": f"{package_server}/tiny.yaml"}}}
    pipeline = http.post(f"{API}/pipelines/create", json=body).json()
    assert pipeline["name"] == "From URL"
    version = http.post(f"{API}/pipelines/{pipeline['pipeline_id']}/versions", json={
        "pipeline_id": pipeline["pipeline_id"], "name": "v2",
        "package_url": {"pipeline_url": f"{package_server}/tiny.yaml"}}).json()
    assert version["package_url"] == {"pipeline_url": f"{package_server}/tiny.yaml"}
    assert version["pipeline_spec"]["pipelineInfo"]["name"] == "tiny-add"
    _grpc_error(http.post(f"{API}/pipelines/{pipeline['pipeline_id']}/versions", json={
        "name": "v3", "package_url": {"pipeline_url": f"{package_server}/gone.yaml"}}), 400, 3)
    _grpc_error(http.post(f"{API}/pipelines/{pipeline['pipeline_id']}/versions", json={"name": "v4"}), 400, 3)
    version_url = f"{API}/pipelines/{pipeline['pipeline_id']}/versions/{version['pipeline_version_id']}"
    assert http.get(version_url).json()["name"] == "v2"
    assert http.delete(version_url).json() == {}
    _grpc_error(http.get(version_url), 404, 5)


def test_experiments(http) -> None:
    created = http.post(f"{API}/experiments", json={"display_name": "exp", "description": "d"}).json()
    assert created["storage_state"] == "AVAILABLE"
    _grpc_error(http.post(f"{API}/experiments", json={"display_name": "exp"}), 409, 6)
    _grpc_error(http.post(f"{API}/experiments", json={}), 400, 3)
    assert http.get(f"{API}/experiments/{created['experiment_id']}").json()["display_name"] == "exp"
    http.post(f"{API}/experiments/{created['experiment_id']}:archive")
    assert http.get(f"{API}/experiments/{created['experiment_id']}").json()["storage_state"] == "ARCHIVED"
    listed = http.get(f"{API}/experiments", params={"sort_by": "display_name desc"}).json()
    # Standalone KFP creates "Default" at start-up (backend/src/apiserver/main.go).
    assert [e["display_name"] for e in listed["experiments"]] == ["exp", "Default"]
    assert http.delete(f"{API}/experiments/{created['experiment_id']}").json() == {}


def test_run_state_moves_with_time(sandbox, http, upload, compiled) -> None:
    sandbox.store.run_starts_after, sandbox.store.run_finishes_after = 0.3, 0.6
    pipeline = upload(compiled["tiny"], name="timed").json()
    run = http.post(f"{API}/runs", json={
        "display_name": "r", "pipeline_version_reference": {"pipeline_id": pipeline["pipeline_id"]}}).json()
    assert run["state"] == "PENDING" and run["finished_at"] == "1970-01-01T00:00:00Z"
    assert run["pipeline_version_reference"]["pipeline_id"] == pipeline["pipeline_id"]
    states = {run["state"]}
    deadline = time.monotonic() + 5
    while "SUCCEEDED" not in states and time.monotonic() < deadline:
        states.add(http.get(f"{API}/runs/{run['run_id']}").json()["state"])
        time.sleep(0.05)
    assert states == {"PENDING", "RUNNING", "SUCCEEDED"}
    listed = http.get(f"{API}/runs", params={"experiment_id": run["experiment_id"]}).json()
    assert [r["run_id"] for r in listed["runs"]] == [run["run_id"]]
    assert http.delete(f"{API}/runs/{run['run_id']}").json() == {}


def test_runs_filter_and_sort_by_state_and_experiments_by_last_run(sandbox, http, upload, compiled) -> None:
    """What the KFP UI asks for: runs by state or finish time, experiments by their last run."""
    sandbox.store.run_starts_after, sandbox.store.run_finishes_after = 0.0, 0.4
    pipeline = upload(compiled["tiny"], name="stateful").json()

    def start(name: str, experiment: str) -> dict:
        exp = http.post(f"{API}/experiments", json={"display_name": experiment})
        exp_id = exp.json()["experiment_id"] if exp.status_code == 200 else next(
            e["experiment_id"] for e in http.get(f"{API}/experiments").json()["experiments"]
            if e["display_name"] == experiment)
        return http.post(f"{API}/runs", json={
            "display_name": name, "experiment_id": exp_id,
            "pipeline_version_reference": {"pipeline_id": pipeline["pipeline_id"]}}).json()

    start("old", "first")
    time.sleep(0.5)  # "old" has finished
    start("new", "second")

    def runs(predicate: dict | None = None, sort_by: str = "") -> list[str]:
        params = {"sort_by": sort_by} if sort_by else {}
        if predicate:
            params["filter"] = json.dumps({"predicates": [predicate]})
        response = http.get(f"{API}/runs", params=params)
        assert response.status_code == 200, response.text
        return [r["display_name"] for r in response.json().get("runs", [])]

    assert runs({"operation": "EQUALS", "key": "state", "string_value": "SUCCEEDED"}) == ["old"]
    assert runs({"operation": "EQUALS", "key": "state", "string_value": "RUNNING"}) == ["new"]
    assert runs(sort_by="finished_at desc") == ["old", "new"]
    assert runs(sort_by="state") == ["new", "old"]  # RUNNING < SUCCEEDED
    experiments = http.get(f"{API}/experiments", params={"sort_by": "last_run_created_at desc"})
    assert experiments.status_code == 200, experiments.text
    assert [e["display_name"] for e in experiments.json()["experiments"]] == ["second", "first", "Default"]


def test_run_refusals(http, upload, compiled) -> None:
    needs = upload(compiled["needs_input"], name="needs").json()
    reference = {"pipeline_id": needs["pipeline_id"]}
    missing = _grpc_error(http.post(f"{API}/runs", json={"display_name": "r",
                                                         "pipeline_version_reference": reference}), 400, 3)
    assert "message" in missing["message"]
    ok = http.post(f"{API}/runs", json={"display_name": "r", "pipeline_version_reference": reference,
                                        "runtime_config": {"parameters": {"message": "hi"}}})
    assert ok.status_code == 200
    # No pipeline source: KFP wraps the template failure as an internal error.
    _grpc_error(http.post(f"{API}/runs", json={"display_name": "r"}), 500, 13)
    _grpc_error(http.post(f"{API}/runs", json={"display_name": "r", "experiment_id": "nope",
                                               "pipeline_version_reference": reference}), 404, 5)


def test_file_store_survives_restart(tmp_path, sandbox_factory, upload, compiled) -> None:
    from jupyter_kfp_connect.sandbox import Sandbox

    path = str(tmp_path / "kfp.sqlite")
    first = Sandbox(db=path).start()
    with httpx.Client(base_url=first.url) as client:
        created = client.post(f"{API}/pipelines", json={"name": "kept"}).json()
    first.close()
    second = sandbox_factory(db=path)
    with httpx.Client(base_url=second.url) as client:
        assert client.get(f"{API}/pipelines/{created['pipeline_id']}").json()["name"] == "kept"


def test_stop_and_start_again_on_the_same_port(sandbox, http) -> None:
    url = sandbox.url
    sandbox.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}{API}/healthz", timeout=2)
    sandbox.start()
    assert sandbox.url == url and http.get(f"{API}/healthz").status_code == 200
