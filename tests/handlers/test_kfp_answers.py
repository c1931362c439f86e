"""KFP's answers are not trusted in size or shape: a huge body is refused while it streams
in (memory stays flat), and JSON of the wrong shape is ``kfp_error``, never a 500."""

import json

import pytest
import tornado.web

from tests.connection.kfp_fixtures import (  # noqa: F401
    call, clean_env, error_code, serve_in_thread, tracebacks,
)
from tests.memory import peak_growth_mb

BAD_ANSWERS = {
    "notalist": {"pipelines": "notalist"},
    "items-not-objects": {"pipelines": [1, 2]},
    "id-a-number": {"pipelines": [{"pipeline_id": 5}]},
    "total-a-list": {"pipelines": [], "total_size": []},
    "total-not-a-count": {"pipelines": [], "total_size": "many"},
    "no-id": {"pipelines": [{"name": "p"}]},
    "a-list": [1, 2, 3],
    "deep": "[" * 100000 + "]" * 100000,
}
HUGE_BYTES = 200 * 1024 * 1024
#: (method, path) of every request the odd KFP got (it serves from its own thread)
SEEN: list[tuple[str, str]] = []


class _Healthz(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"multi_user": False, "pipeline_store": "database"})


class _Pipelines(tornado.web.RequestHandler):
    """Every KFP call but healthz gets the same answer (a POST or DELETE too)."""

    def initialize(self, answer) -> None:
        self.answer = answer

    async def post(self, *_args) -> None:
        await self.get()

    async def delete(self, *_args) -> None:
        await self.get()

    async def get(self, *_args) -> None:
        SEEN.append((self.request.method, self.request.path))
        self.set_header("Content-Type", "application/json")
        if self.answer == "huge":
            self.write('{"pipelines": [], "next_page_token": "')
            chunk = "x" * (1024 * 1024)
            for _ in range(HUGE_BYTES // len(chunk)):
                self.write(chunk)
                try:
                    await self.flush()
                except tornado.iostream.StreamClosedError:
                    return  # the client stopped reading: as it should
            self.finish('"}')
        else:
            body = self.answer if isinstance(self.answer, str) else json.dumps(self.answer)
            self.finish(body)


@pytest.fixture(params=[*BAD_ANSWERS, "huge"])
def answer(request):
    return request.param


@pytest.fixture
def odd_kfp(answer):
    """A KFP whose every answer is ``answer``: a name in BAD_ANSWERS, "huge", or the body itself."""
    raw = BAD_ANSWERS.get(answer, answer) if isinstance(answer, str) else answer
    SEEN.clear()
    port, stop = serve_in_thread(tornado.web.Application([
        (r"/apis/v2beta1/healthz", _Healthz),
        (r"/apis/v2beta1/(.+)", _Pipelines, {"answer": raw}),
    ]))
    yield f"http://127.0.0.1:{port}"
    stop()


@pytest.fixture
def jp_server_config(jp_server_config, odd_kfp, clean_env):
    return {**jp_server_config, "KFPConnect": {"host": odd_kfp, "auth": "none"}}


async def test_an_odd_answer_is_kfp_error(call, answer):
    with peak_growth_mb() as grown:
        code, body = await call("GET", "pipelines", scope="shared")
    assert code == 502 and error_code(body) in ("kfp_error", "not_json"), body
    grown_mb = grown()
    assert grown_mb < 120, f"reading the answer took {grown_mb:.0f} MB"
    code, status = await call("GET", "status")
    assert status["state"] == "connected", status


RUN_ID = "0b5e1a4c-1f2e-4d3c-9a8b-7c6d5e4f3a2b"
#: A spec a run can start from inline (no KFP call before ``POST runs``).
INLINE_SPEC = {"pipelineInfo": {"name": "p"}, "root": {"dag": {"tasks": {}}}, "schemaVersion": "2.1.0"}
#: (method, kfp-connect path, body) -> answers of KFP's runs and experiments calls in a wrong shape
RUN_ENDPOINTS = {
    "list-runs": ("GET", "runs", None, [
        {"runs": "notalist"}, {"runs": [1]}, {"runs": [{"pipeline_version_reference": "x"}]},
        {"runs": [{"run_details": {"task_details": "x"}}]}, {"runs": [], "next_page_token": 5},
        {"runs": [], "total_size": "many"}]),
    "get-run": ("GET", f"runs/{RUN_ID}", None, [
        {"runtime_config": "x"}, {"runtime_config": {"parameters": [1]}}, {"error": "boom"},
        {"run_details": {"task_details": ["x"]}}, {"state_history": [None]},
        {"run_details": {"task_details": [{"child_tasks": ["x"]}]}}]),
    "create-run": ("POST", "runs", {"display_name": "r", "pipeline_spec": INLINE_SPEC}, [
        {"pipeline_version_reference": 1}, {"run_id": 7}]),
    "terminate-run": ("POST", f"runs/{RUN_ID}/terminate", None, [{"runtime_config": "x"}]),
    "experiments": ("GET", "experiments", None, [
        {"experiments": "notalist"}, {"experiments": [1]}, {"experiments": [{"experiment_id": 5}]}]),
    # runs._experiment_for indexes the experiment's id in both answers
    "create-run-in-experiment": ("POST", "runs", {"display_name": "r", "pipeline_spec": INLINE_SPEC,
                                                  "experiment_name": "e"}, [
        {"experiments": [{"display_name": "e"}]}, {"display_name": "e"}]),
}


@pytest.mark.parametrize(("endpoint", "answer"), [
    pytest.param(endpoint, body, id=f"{endpoint}-{index}")
    for endpoint, (_m, _p, _b, bodies) in RUN_ENDPOINTS.items()
    for index, body in enumerate([*bodies, [1, 2, 3], "[" * 100000 + "]" * 100000])
])
async def test_an_odd_runs_answer_is_kfp_error(call, endpoint, answer, tracebacks):
    """Runs and experiments read KFP's answers as carefully as pipelines: 502, never a 500."""
    method, path, body, _bodies = RUN_ENDPOINTS[endpoint]
    code, reply = await call(method, path, body)
    assert code == 502 and error_code(reply) in ("kfp_error", "not_json"), reply
    assert reply["error"]["message"] and reply["error"]["fix"], reply
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


PIPELINE_ID = "1b5e1a4c-1f2e-4d3c-9a8b-7c6d5e4f3a2b"


@pytest.mark.parametrize("answer", [
    pytest.param({"pipeline_id": PIPELINE_ID, "name": "p", "pipeline_versions": [{"pipeline_version_id": bad}]},
                 id=bad) for bad in ("..", "../../runs", "x?y", "%2e%2e")])
async def test_an_export_takes_no_id_from_kfp_unchecked(call, answer, tracebacks):
    """The newest version's id, from KFP's answer, becomes a URL segment of the next call."""
    code, reply = await call("POST", "manifests/export", {"pipeline_id": PIPELINE_ID})
    assert code == 502 and error_code(reply) == "kfp_error" and reply["error"]["fix"], reply
    assert [path for _method, path in SEEN if "healthz" not in path] == [
        f"/apis/v2beta1/pipelines/{PIPELINE_ID}", f"/apis/v2beta1/pipelines/{PIPELINE_ID}/versions"]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


@pytest.mark.parametrize("body", [*BAD_ANSWERS.values(), {"pipelines": [{"pipeline_id": "x", "name": "n"}],
                                                          "total_size": 1, "next_page_token": ""},
                                  {"pipelines": None}, {"pipelines": [{"namespace": True}]}, {},
                                  {"pipelines": [], "total_size": "12"}, {"pipelines": [], "total_size": 12}])
def test_the_fast_shape_check_agrees_with_jsonschema(body):
    """kfp_shapes walks its JSON Schemas itself (jsonschema is too slow per page): same verdicts."""
    import jsonschema

    from jupyter_kfp_connect import kfp_shapes

    schema = kfp_shapes.schema_for("GET", "pipelines")
    value = json.loads(body) if isinstance(body, str) and len(body) < 1000 else body
    if isinstance(value, str):
        return  # the deep one never parses
    assert jsonschema.Draft202012Validator(schema).is_valid(value) == (
        kfp_shapes._first_mismatch(schema, value, []) is None)
