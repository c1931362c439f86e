"""The multipart upload endpoints: KFP's naming rules, limits and ``error_message`` bodies."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from jupyter_kfp_connect.packages import MAX_PACKAGE_BYTES

API = "/apis/v2beta1"


def _upload_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_message", "error_details"}
    assert words in body["error_message"]


def test_upload_creates_pipeline_and_first_version(http, upload, compiled) -> None:
    response = upload(compiled["tiny"], name="tiny", display_name="Tiny adder", description="adds",
                      tags='{"team": "ml"}')
    assert response.status_code == 200, response.text
    pipeline = response.json()
    assert (pipeline["name"], pipeline["display_name"], pipeline["description"]) == ("tiny", "Tiny adder", "adds")
    assert pipeline["tags"] == {"team": "ml"}
    assert "namespace" not in pipeline  # shared: protojson leaves the empty field out
    versions = http.get(f"{API}/pipelines/{pipeline['pipeline_id']}/versions").json()["pipeline_versions"]
    assert [(v["name"], v["display_name"]) for v in versions] == [("tiny", "Tiny adder")]
    assert versions[0]["pipeline_spec"]["pipelineInfo"]["name"] == "tiny-add"


def test_name_defaults_like_kfp(http, upload, compiled) -> None:
    assert upload(compiled["tiny"], filename="my pipeline.yaml").json()["name"] == "my pipeline.yaml"
    from_display = upload(compiled["tiny"], display_name="Shown").json()
    assert from_display["name"] == from_display["display_name"] == "Shown"


def test_duplicate_name_is_409_per_namespace(upload, compiled) -> None:
    assert upload(compiled["tiny"], name="same").status_code == 200
    _upload_error(upload(compiled["tiny"], name="same"), 409, "already exists")


def test_archives_upload(upload, compiled) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pipeline.yaml", compiled["tiny"].read_bytes())
    assert upload(buffer.getvalue(), filename="bundle.zip").status_code == 200


@pytest.mark.parametrize("data, filename, status, words", [
    (b"PK\x03\x04broken", "p.zip", 400, "zip"),
    (b"\x89PNG\r\n", "logo.png", 400, "not a pipeline package"),
    (b"", "empty.yaml", 400, "template creation error"),
    (b"pipelineInfo: {name: x}\nroot: [", "bad.yaml", 400, "not valid YAML"),
], ids=["broken-zip", "png", "empty", "invalid-yaml"])
def test_bad_packages(upload, data, filename, status, words) -> None:
    # KFP refuses an unreadable file while reading it and a bad spec while creating: 400 both.
    _upload_error(upload(data, filename=filename), status, words)


def test_spec_errors_match_package_validation(upload, compiled) -> None:
    spec = yaml.safe_load(compiled["tiny"].read_bytes())
    spec["pipelineInfo"].pop("name")
    _upload_error(upload(yaml.safe_dump(spec).encode(), filename="x.yaml"), 400, "pipelineInfo.name")


def test_32_megabyte_limit(upload, compiled) -> None:
    data = compiled["tiny"].read_bytes()
    exact = data + b"#" * (MAX_PACKAGE_BYTES - len(data))
    assert upload(exact, filename="big.yaml", name="big").status_code == 200
    _upload_error(upload(exact + b"#", filename="big.yaml", name="bigger"), 400, "File size too large")


def test_missing_file_and_bad_tags(http, upload, compiled) -> None:
    _upload_error(http.post(f"{API}/pipelines/upload", files={"other": ("p.yaml", b"x")}), 400,
                  "Failed to read pipeline from file")
    _upload_error(upload(compiled["tiny"], tags="not json"), 400, "tags")


def test_upload_version(http, upload, compiled) -> None:
    pipeline = upload(compiled["tiny"], name="base").json()
    url = f"{API}/pipelines/upload_version"
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    response = http.post(url, params={"pipelineid": pipeline["pipeline_id"], "name": "v2",
                                      "description": "second"}, files=files)
    assert response.status_code == 200, response.text
    version = response.json()
    assert (version["pipeline_id"], version["name"], version["description"]) == (pipeline["pipeline_id"], "v2", "second")
    _upload_error(http.post(url, params={"pipelineid": pipeline["pipeline_id"], "name": "v2"}, files=files),
                  409, "already exists")
    _upload_error(http.post(url, params={"name": "v3"}, files=files), 400, "pipeline id")
    _upload_error(http.post(url, params={"pipelineid": "nope", "name": "v3"}, files=files), 400, "namespace")
    by_filename = http.post(url, params={"pipelineid": pipeline["pipeline_id"]}, files=files).json()
    assert by_filename["name"] == "tiny.yaml"


def test_platform_spec_is_returned_wrapped(http, upload, compiled) -> None:
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {}}}}}
    data = compiled["tiny"].read_bytes() + b"---\n" + yaml.safe_dump(platform).encode()
    pipeline = upload(data, filename="k8s.yaml").json()
    version = http.get(f"{API}/pipelines/{pipeline['pipeline_id']}/versions").json()["pipeline_versions"][0]
    assert version["pipeline_spec"]["platform_spec"] == platform
    assert version["pipeline_spec"]["pipeline_spec"]["pipelineInfo"]["name"] == "tiny-add"


def test_gateway_prefix_serves_the_same_api(http, upload, compiled) -> None:
    created = upload(compiled["tiny"], name="via-gateway", prefix="/pipeline/apis/v2beta1").json()
    listed = http.get(f"{API}/pipelines").json()["pipelines"]
    assert [p["pipeline_id"] for p in listed] == [created["pipeline_id"]]


def _reference(kind: str) -> list:
    from tests.sandbox.test_packages import _corpus

    return _corpus(kind)


@pytest.mark.parametrize("path", _reference("valid"))
def test_upload_accepts_every_package_kfp_accepts(http, upload, path) -> None:
    response = upload(path.read_bytes(), filename=path.name, name=f"ref-{path.stem}")
    assert response.status_code == 200, response.text
    pid = response.json()["pipeline_id"]
    versions = http.get(f"{API}/pipelines/{pid}/versions").json()["pipeline_versions"]
    assert len(versions) == 1 and versions[0]["pipeline_spec"]


@pytest.mark.parametrize("path", _reference("invalid"))
def test_upload_refuses_every_package_kfp_refuses_with_400(http, upload, path) -> None:
    response = upload(path.read_bytes(), filename=path.name, name=f"ref-{path.stem}")
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error_message", "error_details"}
    # nothing half-created
    assert http.get(f"{API}/pipelines/names/ref-{path.stem}").status_code == 404
