"""KFP's answers are not trusted in size or shape: a huge body is refused while it streams
in (memory stays flat), and JSON of the wrong shape is ``kfp_error``, never a 500."""

import json
import resource

import pytest
import tornado.web

from tests.connection.kfp_fixtures import call, clean_env, error_code, serve_in_thread  # noqa: F401

BAD_ANSWERS = {
    "notalist": {"pipelines": "notalist"},
    "items-not-objects": {"pipelines": [1, 2]},
    "id-a-number": {"pipelines": [{"pipeline_id": 5}]},
    "total-a-list": {"pipelines": [], "total_size": []},
    "a-list": [1, 2, 3],
    "deep": "[" * 100000 + "]" * 100000,
}
HUGE_BYTES = 200 * 1024 * 1024


class _Healthz(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"multi_user": False, "pipeline_store": "database"})


class _Pipelines(tornado.web.RequestHandler):
    def initialize(self, answer) -> None:
        self.answer = answer

    async def get(self) -> None:
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
    raw = "huge" if answer == "huge" else BAD_ANSWERS[answer]
    port, stop = serve_in_thread(tornado.web.Application([
        (r"/apis/v2beta1/healthz", _Healthz),
        (r"/apis/v2beta1/pipelines", _Pipelines, {"answer": raw}),
    ]))
    yield f"http://127.0.0.1:{port}"
    stop()


@pytest.fixture
def jp_server_config(jp_server_config, odd_kfp, clean_env):
    return {**jp_server_config, "KFPConnect": {"host": odd_kfp, "auth": "none"}}


async def test_an_odd_answer_is_kfp_error(call, answer):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, body = await call("GET", "pipelines", scope="shared")
    assert code == 502 and error_code(body) in ("kfp_error", "not_json"), body
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    assert grown_mb < 120, f"reading the answer took {grown_mb:.0f} MB"
    code, status = await call("GET", "status")
    assert status["state"] == "connected", status


@pytest.mark.parametrize("body", [*BAD_ANSWERS.values(), {"pipelines": [{"pipeline_id": "x", "name": "n"}],
                                                          "total_size": 1, "next_page_token": ""},
                                  {"pipelines": None}, {"pipelines": [{"namespace": True}]}, {}])
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
