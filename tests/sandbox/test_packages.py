"""packages.read_package accepts what KFP's API server accepts and refuses what it refuses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from jupyter_kfp_connect.packages import (
    MAX_PACKAGE_BYTES, InvalidPackage, read_package, summarize,
)
from tests.reference import corpus

@pytest.mark.parametrize("path", corpus("valid"))
def test_accepts_every_package_kfp_accepts(path: Path) -> None:
    package = read_package(path.read_bytes(), path.name)
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    spec = next(d for d in documents if "pipelineInfo" in d)
    assert package.name == spec["pipelineInfo"]["name"]
    assert package.pipeline_spec["root"] == spec["root"]
    assert (package.platform_spec is not None) == (len(documents) > 1)
    summary = summarize(package.pipeline_spec)
    json.dumps(summary)  # the panel receives it as JSON
    json.dumps(package.pipeline_spec)  # and the sandbox stores it as JSON
    assert {t["name"] for t in summary["tasks"]} == set(spec["root"]["dag"]["tasks"])


@pytest.mark.parametrize("path", corpus("invalid"))
def test_refuses_every_package_kfp_refuses(path: Path) -> None:
    with pytest.raises(InvalidPackage) as caught:
        read_package(path.read_bytes(), path.name)
    assert caught.value.reason and caught.value.code == "invalid_package"


@pytest.fixture(scope="module")
def tiny_bytes(compiled) -> bytes:
    return compiled["tiny"].read_bytes()


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _tgz(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_reads_compiled_yaml_and_summarizes_it(tiny_bytes) -> None:
    package = read_package(tiny_bytes, "tiny.yaml")
    assert package.name == "tiny-add"
    assert package.description == "Adds numbers twice."
    assert package.yaml_text == tiny_bytes.decode()
    summary = summarize(package.pipeline_spec)
    params = {p["name"]: p for p in summary["parameters"]}
    assert params["x"] == {"name": "x", "type": "NUMBER_INTEGER", "default": 1, "has_default": True,
                           "optional": True, "description": ""}
    assert params["label"]["default"] == "on"  # YAML 1.2 like KFP: not the boolean True
    tasks = summary["tasks"]
    assert [t["name"] for t in tasks] == ["add", "add-2", "say"]
    assert tasks[1]["dependencies"] == ["add"]
    assert tasks[2]["dependencies"] == ["add-2"]
    assert tasks[0]["image"] == "python:3.12" and tasks[0]["kind"] == "container"
    assert summary["dag"] == {
        "nodes": [{"id": "add", "label": "add", "kind": "container"},
                  {"id": "add-2", "label": "add-2", "kind": "container"},
                  {"id": "say", "label": "say", "kind": "container"}],
        "edges": [{"from": "add", "to": "add-2"}, {"from": "add-2", "to": "say"}]}


def test_required_parameter_is_not_optional(compiled) -> None:
    summary = summarize(read_package(compiled["needs_input"].read_bytes(), "n.yaml").pipeline_spec)
    assert summary["parameters"] == [{"name": "message", "type": "STRING", "default": None,
                                      "has_default": False, "optional": False, "description": ""}]


def test_json_package(tiny_bytes) -> None:
    spec = yaml.safe_load(tiny_bytes)
    package = read_package(json.dumps(spec, indent="\t").encode(), "tiny.json")
    assert package.pipeline_spec == spec


@pytest.mark.parametrize("build, filename", [
    (lambda y: _zip([("pipeline.yaml", y)]), "p.zip"),
    (lambda y: _zip([("README.md", b"docs"), ("pipeline.yaml", y)]), "p.zip"),
    (lambda y: _zip([("first.yml", y), ("other.txt", b"x")]), "anything.bin"),
    (lambda y: _tgz([("pipeline.yaml", y)]), "p.tar.gz"),
    (lambda y: _tgz([("notes.txt", b"x"), ("pipeline.yaml", y)]), "p.tgz"),
    (lambda y: _tgz([("first.yaml", y)]), "p.tgz"),
], ids=["zip", "zip-pipeline-yaml-wins", "zip-first-yaml", "tgz", "tgz-pipeline-yaml-wins", "tgz-first"])
def test_archives(tiny_bytes, build, filename) -> None:
    assert read_package(build(tiny_bytes), filename).name == "tiny-add"


@pytest.mark.parametrize("data, filename, words", [
    (lambda y: _zip([("notes.txt", b"x"), ("p.yaml", y)]), "p.zip", "notes.txt"),
    (lambda y: _zip([]), "p.zip", "empty"),
    (lambda y: _zip([("p.yaml", y)])[:40], "p.zip", "damaged"),
    (lambda y: _tgz([("notes.txt", b"x")]), "p.tgz", "notes.txt"),
    (lambda y: b"\x1f\x8bnot really gzip", "p.tgz", "damaged"),
    (lambda y: y, "tiny.txt", "not a pipeline package"),
    (lambda y: y, "tiny.YAML", "not a pipeline package"),  # KFP's suffix test is case-sensitive
], ids=["zip-first-not-yaml", "zip-empty", "zip-truncated", "tgz-not-yaml", "tgz-broken",
        "wrong-suffix", "upper-case-suffix"])
def test_file_level_refusals(tiny_bytes, data, filename, words) -> None:
    with pytest.raises(InvalidPackage) as caught:
        read_package(data(tiny_bytes), filename)
    assert words in caught.value.reason
    assert caught.value.stage == "file"


def _edited(tiny_bytes: bytes, edit) -> bytes:
    spec = yaml.safe_load(tiny_bytes)
    edit(spec)
    return yaml.safe_dump(spec).encode()


@pytest.mark.parametrize("edit, words", [
    (lambda s: s.update(schemaVersion="2.0.0"), "2.1.0"),
    (lambda s: s["pipelineInfo"].update(name="Tiny_Add"), "not allowed"),
    (lambda s: s.pop("root"), "no root"),
    (lambda s: s["pipelineInfo"].pop("name"), "no name"),
    (lambda s: s.update(extra={}), "extra"),
], ids=["schema-version", "bad-name", "no-root", "no-name", "unknown-field"])
def test_spec_level_refusals(tiny_bytes, edit, words) -> None:
    with pytest.raises(InvalidPackage) as caught:
        read_package(_edited(tiny_bytes, edit), "p.yaml")
    assert words in caught.value.reason
    assert caught.value.stage == "spec"


def test_platform_spec_document_is_kept(tiny_bytes) -> None:
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {}}}}}
    package = read_package(tiny_bytes + b"\n---\n" + yaml.safe_dump(platform).encode(), "p.yaml")
    assert package.platform_spec == platform
    with pytest.raises(InvalidPackage, match="more than one pipeline spec"):
        read_package(tiny_bytes + b"\n---\n" + tiny_bytes, "p.yaml")


def test_other_refusals_say_why(tiny_bytes) -> None:
    argo = yaml.safe_dump({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "spec": {}})
    with pytest.raises(InvalidPackage, match="v1"):
        read_package(argo.encode(), "old.yaml")
    with pytest.raises(InvalidPackage, match="not valid YAML"):
        read_package(b"a: [1, 2", "broken.yaml")
    with pytest.raises(InvalidPackage, match="not a mapping"):
        read_package(b"- 1\n- 2\n", "list.yaml")
    with pytest.raises(InvalidPackage, match="UTF-8"):
        read_package(b"\xff\xfe\x00bad", "bin.yaml")


def test_size_limit(tiny_bytes) -> None:
    padded = tiny_bytes + b"#" * (MAX_PACKAGE_BYTES - len(tiny_bytes))
    assert read_package(padded, "p.yaml").name == "tiny-add"
    with pytest.raises(InvalidPackage) as caught:
        read_package(padded + b"#", "p.yaml")
    assert caught.value.code == "package_too_large" and "32 MB" in caught.value.reason
    assert "33,554,433 bytes" in caught.value.reason  # not "32.0 MB; at most 32 MB"


def test_archives_that_unpack_past_the_limit_are_refused(tiny_bytes) -> None:
    """A 40 MB pipeline file compresses to a few KB: the unpacked size counts, as in KFP."""
    huge = tiny_bytes + b"#" * (40 * 1024 * 1024)
    zipped_buffer = io.BytesIO()
    with zipfile.ZipFile(zipped_buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pipeline.yaml", huge)
    zipped = zipped_buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("pipeline.yaml")
        info.size = len(huge)
        archive.addfile(info, io.BytesIO(huge))
    for data, name in ((zipped, "bomb.zip"), (buffer.getvalue(), "bomb.tar.gz")):
        assert len(data) < 1024 * 1024
        with pytest.raises(InvalidPackage) as caught:
            read_package(data, name)
        assert caught.value.code == "package_too_large" and caught.value.stage == "file"
        assert "unpacks to 40" in caught.value.reason


def test_import_is_cheap() -> None:
    probe = ("import sys, jupyter_kfp_connect.packages; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kfp', 'kubernetes')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "[]"


def _order_by_rescanning(tasks: list[dict]) -> list[str]:
    """The order summaries had before it was made linear (every waiting task rescanned per
    round): the new one must give the same, cycles included."""
    waiting = {t["name"]: set(t["dependencies"]) & {u["name"] for u in tasks} for t in tasks}
    ordered: list[str] = []
    while waiting:
        ready = sorted(n for n, deps in waiting.items() if not deps) or sorted(waiting)[:1]
        ordered += ready
        for name in ready:
            del waiting[name]
        for deps in waiting.values():
            deps.difference_update(ready)
    return ordered


def _tasks_of(pipeline_spec: dict) -> list[dict]:
    return [{"name": name, "dependencies": sorted(task.get("dependentTasks") or [])}
            for name, task in pipeline_spec["root"].get("dag", {}).get("tasks", {}).items()]


def test_compiled_pipelines_keep_their_task_order(compiled) -> None:
    for path in compiled.values():
        spec = read_package(path.read_bytes(), path.name).pipeline_spec
        expected = _order_by_rescanning(_tasks_of(spec))
        summary = summarize(spec)
        assert [t["name"] for t in summary["tasks"]] == expected
        assert summary["truncated"] is False


@pytest.mark.parametrize("path", corpus("valid"))
def test_corpus_pipelines_keep_their_task_order(path: Path) -> None:
    spec = read_package(path.read_bytes(), path.name).pipeline_spec
    assert [t["name"] for t in summarize(spec)["tasks"]] == _order_by_rescanning(_tasks_of(spec))


def test_random_graphs_keep_their_task_order() -> None:
    """DAGs and graphs with cycles, self-loops and unknown dependencies alike."""
    import random

    from jupyter_kfp_connect.packages import _in_dependency_order

    rng = random.Random(13)
    for _ in range(300):
        names = [f"t{rng.randrange(60)}" for _ in range(rng.randrange(1, 25))]
        tasks = [{"name": name, "dependencies": sorted({rng.choice(names + ["gone"])
                                                        for _ in range(rng.randrange(4))})}
                 for name in dict.fromkeys(names)]
        if rng.random() < 0.5:  # a DAG: only earlier tasks waited for
            tasks = [{**t, "dependencies": [d for d in t["dependencies"]
                                            if d in {u["name"] for u in tasks[:i]}]}
                     for i, t in enumerate(tasks)]
        got = [t["name"] for t in _in_dependency_order(tasks)]
        assert got == _order_by_rescanning(tasks), tasks
