"""openapi.yaml documents every pipelines route, and real answers carry exactly the documented
fields (the front end builds against the file, so drift must fail here)."""

import re
from importlib import resources

import pytest
import yaml

from jupyter_kfp_connect.handlers import pipelines as pipeline_handlers
from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403

PATH_PARAMS = ("pipeline_id", "version_id")


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())


def _documented_path(pattern: str) -> str:
    names = iter(PATH_PARAMS)
    return "/" + re.sub(r"\(\[\^/\]\+\)", lambda _m: "{" + next(names) + "}", pattern)


def test_every_pipelines_route_is_documented(spec):
    for pattern, handler in pipeline_handlers.ROUTES:
        documented = spec["paths"].get(_documented_path(pattern))
        assert documented is not None, pattern
        methods = {m for m in ("get", "post", "put", "delete")
                   if any(m in klass.__dict__ for klass in handler.__mro__ if klass.__module__ == handler.__module__)}
        assert methods == {m for m in documented if m in ("get", "post", "put", "delete")}, pattern


def _fields(spec, name) -> set:
    """Property names of a schema, through ``allOf`` references."""
    schema = spec["components"]["schemas"][name]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            names |= _fields(spec, part["$ref"].rsplit("/", 1)[1])
        names |= set(part.get("properties", {}))
    return names


@pytest.mark.parametrize("kfp_mode", ["standalone"])
async def test_answers_match_the_documented_schemas(spec, kfp, sb, scaler_yaml):
    await kfp.connect()
    code, validated = await kfp.upload(scaler_yaml, "scaler.yaml", path="validate")
    assert code == 200 and set(validated) == _fields(spec, "ValidatedPackage")
    assert set(validated["summary"]) == _fields(spec, "SpecSummary")
    param_fields = set(spec["components"]["schemas"]["SpecSummary"]["properties"]["parameters"]["items"]["properties"])
    task_fields = set(spec["components"]["schemas"]["SpecSummary"]["properties"]["tasks"]["items"]["properties"])
    assert all(set(p) == param_fields for p in validated["summary"]["parameters"])
    assert all(set(t) == task_fields for t in validated["summary"]["tasks"])

    code, uploaded = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 201 and set(uploaded) == _fields(spec, "UploadResult")
    assert set(uploaded["pipeline"]) == _fields(spec, "Pipeline")
    assert set(uploaded["version"]) == _fields(spec, "PipelineVersion")

    code, page = await kfp("GET", "pipelines")
    assert set(page) == _fields(spec, "PipelinePage")
    assert set(page["pipelines"][0]) == _fields(spec, "Pipeline")

    pid = uploaded["pipeline"]["id"]
    code, detail = await kfp("GET", f"pipelines/{pid}")
    assert set(detail) == _fields(spec, "PipelineDetail")
    assert set(detail["latest_version"]) == _fields(spec, "VersionDetail")
    code, version = await kfp("GET", f"pipelines/{pid}/versions/{uploaded['version']['id']}")
    assert set(version) == _fields(spec, "VersionDetail")

    code, dup = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 409 and set(dup["error"]) == _fields(spec, "Problem")
    assert dup["error"]["code"] in spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
