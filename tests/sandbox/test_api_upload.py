"""The multipart upload endpoints: KFP's naming rules, limits and ``error_message`` bodies.

KFP 2.17's PipelineUploadServer answers each early failure with one fixed sentence (the cause
goes to its log), JSON written before any Content-Type is set (so Go sniffs it as text/plain),
and a few checks with Go's ``http.Error`` (a text/plain line)."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from jupyter_kfp_connect.packages import MAX_PACKAGE_BYTES
from tests.reference import corpus

API = "/apis/v2beta1"


SNIFFED = "text/plain; charset=utf-8"  # what Go's DetectContentType makes of the JSON


def _upload_error(response, status: int, words: str, *, exact: bool = False, content_type: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_message", "error_details"}
    assert (body["error_message"] == words) if exact else (words in body["error_message"]), body
    # %+v of a pkg/errors error: the sentence, then the Go stack
    assert body["error_details"].startswith(body["error_message"] + "\n")
    if content_type:
        assert response.headers["content-type"] == content_type


def _plain_error(response, status: int, text: str) -> None:
    """Go's http.Error: a text/plain line, nosniff."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == text + "\n"


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
    _upload_error(upload(compiled["tiny"], name="same"), 409, "Failed to create a pipeline and a pipeline version",
                  exact=True, content_type="application/json")


def test_names_are_unique_case_insensitively(http, upload, compiled) -> None:
    """MySQL's _ci collation: the unique (Namespace, Name) index sees My-Pipe == my-pipe."""
    assert upload(compiled["tiny"], name="My-Pipe").status_code == 200
    _upload_error(upload(compiled["tiny"], name="my-pipe"), 409, "Failed to create a pipeline and a pipeline version",
                  exact=True)
    found = http.get(f"{API}/pipelines/names/MY-PIPE")
    assert found.status_code == 200 and found.json()["name"] == "My-Pipe"


def test_archives_upload(upload, compiled) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pipeline.yaml", compiled["tiny"].read_bytes())
    assert upload(buffer.getvalue(), filename="bundle.zip").status_code == 200


@pytest.mark.parametrize("data, filename", [
    (b"PK\x03\x04broken", "p.zip"), (b"\x89PNG\r\n", "logo.png"),
], ids=["broken-zip", "png"])
def test_unreadable_files_get_one_sentence(upload, data, filename) -> None:
    """ReadPipelineFile's failures (kind, archive, size) are all "Failed to read a pipeline
    spec file", sniffed as text/plain."""
    _upload_error(upload(data, filename=filename), 400, "Failed to read a pipeline spec file", exact=True,
                  content_type=SNIFFED)


@pytest.mark.parametrize("data, filename, words", [
    (b"", "empty.yaml", "empty"),
    (b"pipelineInfo: {name: x}\nroot: [", "bad.yaml", "not valid YAML"),
], ids=["empty", "invalid-yaml"])
def test_bad_specs_answer_their_reason(upload, data, filename, words) -> None:
    """A readable file with a bad spec fails in CreatePipelineAndPipelineVersion: an
    InvalidArgument whose external message is the answer, as JSON (the words are the
    sandbox's, not KFP's template package's)."""
    _upload_error(upload(data, filename=filename), 400, words, content_type="application/json")


def test_spec_errors_match_package_validation(upload, compiled) -> None:
    spec = yaml.safe_load(compiled["tiny"].read_bytes())
    spec["pipelineInfo"].pop("name")
    _upload_error(upload(yaml.safe_dump(spec).encode(), filename="x.yaml"), 400, "pipelineInfo.name")


def test_32_megabyte_limit(upload, compiled) -> None:
    data = compiled["tiny"].read_bytes()
    exact = data + b"#" * (MAX_PACKAGE_BYTES - len(data))
    assert upload(exact, filename="big.yaml", name="big").status_code == 200
    _upload_error(upload(exact + b"#", filename="big.yaml", name="bigger"), 400, "Failed to read a pipeline spec file",
                  exact=True)


def test_missing_file_and_bad_tags(http, upload, compiled) -> None:
    _upload_error(http.post(f"{API}/pipelines/upload", files={"other": ("p.yaml", b"x")}), 400,
                  "Failed to read pipeline from file", exact=True, content_type=SNIFFED)
    tags_refused = "Failed to parse tags query parameter. Expected JSON object with string keys and values"
    _upload_error(upload(compiled["tiny"], tags="not json"), 400, tags_refused, exact=True)
    _upload_error(upload(compiled["tiny"], tags='{"n": 1}'), 400, tags_refused, exact=True)


def test_a_bad_query_escape_fails_the_form_parse(http, compiled) -> None:
    """r.FormFile parses the query strictly (ParseForm) before it finds the file."""
    response = http.post(f"{API}/pipelines/upload?name=50%zz",
                         files={"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())})
    _upload_error(response, 400, "Failed to read pipeline from file", exact=True)


def test_length_limits_are_plain_text(upload, http, compiled) -> None:
    """validation.ValidateFieldLength answered with http.Error."""
    _plain_error(upload(compiled["tiny"], name="n" * 129), 400,
                 "Invalid input error: Pipeline.Name length cannot exceed 128")
    assert upload(compiled["tiny"], name="n" * 128).status_code == 200
    _plain_error(upload(compiled["tiny"], name="ns", namespace="x" * 64), 400,
                 "Invalid input error: Pipeline.Namespace length cannot exceed 63")
    pipeline_id = upload(compiled["tiny"], name="short").json()["pipeline_id"]
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    _plain_error(http.post(f"{API}/pipelines/upload_version", params={"pipelineid": pipeline_id, "name": "v" * 128},
                           files=files), 400, "Invalid input error: PipelineVersion.Name length cannot exceed 127")


def test_upload_version(http, upload, compiled) -> None:
    pipeline = upload(compiled["tiny"], name="base").json()
    url = f"{API}/pipelines/upload_version"
    files = {"uploadfile": ("tiny.yaml", compiled["tiny"].read_bytes())}
    response = http.post(url, params={"pipelineid": pipeline["pipeline_id"], "name": "v2",
                                      "description": "second"}, files=files)
    assert response.status_code == 200, response.text
    version = response.json()
    assert (version["pipeline_id"], version["name"], version["description"]) == (pipeline["pipeline_id"], "v2", "second")
    failure = "Failed to create a pipeline version"
    _upload_error(http.post(url, params={"pipelineid": pipeline["pipeline_id"], "name": "V2"}, files=files),
                  409, failure, exact=True, content_type="application/json")
    _upload_error(http.post(url, params={"name": "v3"}, files=files), 400, failure, exact=True, content_type=SNIFFED)
    _upload_error(http.post(url, params={"pipelineid": "nope", "name": "v3"}, files=files), 400, failure, exact=True)
    _upload_error(http.post(url, params={"pipelineid": pipeline["pipeline_id"]}, files={"x": ("a", b"")}), 400,
                  failure, exact=True)
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


@pytest.mark.parametrize("path", corpus("valid"))
def test_upload_accepts_every_package_kfp_accepts(http, upload, path) -> None:
    response = upload(path.read_bytes(), filename=path.name, name=f"ref-{path.stem}")
    assert response.status_code == 200, response.text
    pid = response.json()["pipeline_id"]
    versions = http.get(f"{API}/pipelines/{pid}/versions").json()["pipeline_versions"]
    assert len(versions) == 1 and versions[0]["pipeline_spec"]


@pytest.mark.parametrize("path", corpus("invalid"))
def test_upload_refuses_every_package_kfp_refuses_with_400(http, upload, path) -> None:
    response = upload(path.read_bytes(), filename=path.name, name=f"ref-{path.stem}")
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error_message", "error_details"}
    # nothing half-created
    assert http.get(f"{API}/pipelines/names/ref-{path.stem}").status_code == 404
