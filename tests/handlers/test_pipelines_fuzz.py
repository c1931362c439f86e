"""Property-based fuzzing (Hypothesis) of the package reader and of the validate and upload
endpoints. The budget is fixed (``max_examples``, ``deadline``, ``derandomize``) so CI runs
the same examples in the same time every run. Properties: the reader either accepts or
refuses with InvalidPackage; an endpoint never answers a 5xx; nothing takes long or grows
memory without bound."""

import asyncio
import io
import json
import tarfile
import zipfile

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_kfp_connect import packages
from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import multipart
from tests.memory import peak_growth_mb

BUDGET = dict(derandomize=True, deadline=2000, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_BASE_SPEC = {
    "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.14.1",
    "pipelineInfo": {"name": "fuzzed", "description": "d"},
    "root": {"inputDefinitions": {"parameters": {"x": {"parameterType": "STRING", "defaultValue": "a"}}},
             "dag": {"tasks": {"t": {"taskInfo": {"name": "t"}, "componentRef": {"name": "comp-t"},
                                     "dependentTasks": []}}}},
    "components": {"comp-t": {"executorLabel": "exec-t"}},
    "deploymentSpec": {"executors": {"exec-t": {"container": {"image": "python:3.12"}}}},
}
#: Where a fuzzed value replaces what the compiler writes.
_PATHS = [(), ("pipelineInfo",), ("pipelineInfo", "name"), ("root",), ("root", "inputDefinitions"),
          ("root", "inputDefinitions", "parameters"), ("root", "inputDefinitions", "parameters", "x"),
          ("root", "inputDefinitions", "parameters", "x", "defaultValue"),
          ("root", "dag"), ("root", "dag", "tasks"), ("root", "dag", "tasks", "t"),
          ("root", "dag", "tasks", "t", "dependentTasks"), ("root", "dag", "tasks", "t", "componentRef"),
          ("components",), ("components", "comp-t"), ("deploymentSpec",),
          ("deploymentSpec", "executors"), ("deploymentSpec", "executors", "exec-t", "container"),
          ("schemaVersion",)]

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)
_yaml_alphabet = st.sampled_from(list("abc:-[]{}&*!|>'\"#,?%@` \t\n\x00\\0123456789.") + ["\u2028", "\ufeff"])


def _put(spec: dict, path: tuple, value) -> dict:
    spec = json.loads(json.dumps(spec))
    if not path:
        return value if isinstance(value, dict) else spec
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


@st.composite
def _specs(draw) -> tuple[bytes, str]:
    spec = _put(_BASE_SPEC, draw(st.sampled_from(_PATHS)), draw(_json_values))
    if draw(st.booleans()):
        return json.dumps(spec).encode(), "p.json"
    return yaml.safe_dump(spec).encode(), "p.yaml"


@st.composite
def _archives(draw) -> tuple[bytes, str]:
    inner, _ = draw(_specs() | st.tuples(st.binary(max_size=300), st.just("")))
    name = draw(st.sampled_from(["pipeline.yaml", "a.yml", "a.json", "dir/pipeline.yaml", "x"]))
    buffer = io.BytesIO()
    if draw(st.booleans()):
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(name, inner)
        return buffer.getvalue(), "p.zip"
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.type = draw(st.sampled_from([tarfile.REGTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.DIRTYPE]))
        info.size = len(inner) if info.type == tarfile.REGTYPE else 0
        archive.addfile(info, io.BytesIO(inner) if info.type == tarfile.REGTYPE else None)
    return buffer.getvalue(), "p.tar.gz"


_files = (
    _specs()
    | _archives()
    | st.tuples(st.text(_yaml_alphabet, max_size=400).map(str.encode), st.sampled_from(["p.yaml", "p.json"]))
    | st.tuples(st.binary(max_size=400), st.sampled_from(["p.yaml", "p.zip", "p.tar.gz", "p.bin", ""]))
)


def _read(data: bytes, filename: str) -> None:
    """The reader's contract: a package whose summary serialises, or InvalidPackage."""
    try:
        package = packages.read_package(data, filename)
    except packages.InvalidPackage as refused:
        assert refused.code in ("invalid_package", "package_too_large") and refused.reason
        return
    json.dumps(packages.summarize(package.pipeline_spec))


@settings(max_examples=400, **BUDGET)
@given(_files)
def test_reader_accepts_or_refuses_cleanly(file):
    _read(*file)


def test_reader_memory_stays_bounded():
    @settings(max_examples=150, **BUDGET)
    @given(_files)
    def fuzz(file):
        _read(*file)

    with peak_growth_mb() as grown:
        fuzz()
    assert grown() < 200, f"the reader's peak grew {grown():.0f} MB"


@pytest.mark.parametrize("kfp_mode", ["standalone"])
async def test_endpoints_never_answer_5xx(kfp, jp_serverapp, jp_auth_header, jp_base_url):
    """The same files through POST validate and POST pipelines (the server runs on this
    test's event loop, so Hypothesis drives it from a thread): never a 5xx, every refusal a
    JSON error with a code, each example within the deadline, the server's memory bounded."""
    await kfp.connect()
    base = f"http://localhost:{jp_serverapp.port}{jp_base_url.rstrip('/')}/kfp-connect/"

    def fuzz() -> None:
        with httpx.Client(base_url=base, headers=jp_auth_header, timeout=10) as client:
            @settings(max_examples=60, **BUDGET)
            @given(_files, st.sampled_from(["validate", "pipelines"]), st.text(max_size=12))
            def one(file, endpoint, name):
                body, content_type = multipart(*file, name=name) if name else multipart(*file)
                response = client.post(endpoint, content=body, headers={"Content-Type": content_type})
                assert response.status_code < 500, response.text
                if response.status_code >= 400:
                    assert response.json()["error"]["code"], response.text

            one()

    # The packages are read in worker processes capped on their own (package_worker); this
    # is the server's side: bodies, multipart parsing, answers.
    with peak_growth_mb() as grown:
        await asyncio.to_thread(fuzz)
    assert grown() < 200, f"the server's peak grew {grown():.0f} MB"
