"""KFP 2.17 API server behaviours a client meets at its edges: grpc-gateway's own 400s, the
filter unescaped twice, MySQL's case-insensitive names, one-second ``created_at``, the
namespace-blind get-by-name, and KFP's error chains (message) with their external sentence
(details)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from jupyter_kfp_connect.sandbox.gateway import PROTO_PREFIX

API = "/apis/v2beta1"


def _filter(*predicates: dict) -> str:
    return json.dumps({"predicates": list(predicates)})


def _names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json().get("pipelines", [])]


def _gateway_400(response, message: str) -> None:
    """grpc-gateway's own error: InvalidArgument, the Go error text, no details."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"code": 3, "message": message}


# --- the query string and body, as grpc-gateway parses them --------------------------------
@pytest.mark.parametrize("query, message", [
    ("page_size=abc", 'parsing field "page_size": strconv.ParseInt: parsing "abc": invalid syntax'),
    ("page_size=1.5", 'parsing field "page_size": strconv.ParseInt: parsing "1.5": invalid syntax'),
    ("page_size=99999999999", 'parsing field "page_size": strconv.ParseInt: parsing "99999999999": value out of range'),
    ("page_size=1&page_size=2", 'too many values for field "page_size": 1, 2'),
    ("pageSize=1&pageSize=2", 'too many values for field "page_size": 1, 2'),
    ("sort_by=name%zz", 'invalid URL escape "%zz"'),
    ("a=1;b=2", "invalid semicolon separator in query"),
])
def test_malformed_query_values_are_the_gateways_400(http, query, message) -> None:
    _gateway_400(http.get(f"{API}/pipelines?{query}"), message)


def test_query_fields_by_json_name_and_unknown_ones_ignored(sandbox, http) -> None:
    sandbox.store.seed("", 3, prefix="p")
    assert len(_names(http.get(f"{API}/pipelines?pageSize=2&colour=red"))) == 2


def test_cascade_is_a_go_bool(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, prefix="c")
    _gateway_400(http.delete(f"{API}/pipelines/{pipeline_id}?cascade=yes"),
                 'parsing field "cascade": strconv.ParseBool: parsing "yes": invalid syntax')
    assert http.delete(f"{API}/pipelines/{pipeline_id}?cascade=T").status_code == 200


@pytest.mark.parametrize("body, message", [
    ('{"name": "x", "colour": "red"}', 'unknown field "colour"'),
    ('{\n  "name": "x",\n  "pipelineVersion": {}\n}', 'unknown field "pipelineVersion"'),
    ('{"name": 5}', "invalid value for string field name: 5"),
    ('{"name": "x", "displayName": "a", "display_name": "b"}', 'duplicate field "display_name"'),
    ("[]", "unexpected token ["),
])
def test_unknown_or_mistyped_body_fields_are_400(http, body, message) -> None:
    response = http.post(f"{API}/pipelines", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == 3
    assert response.json()["message"].startswith(PROTO_PREFIX + "(line ")
    assert response.json()["message"].endswith(message)
    assert "details" not in response.json()


def test_body_error_positions_are_protojsons(http) -> None:
    response = http.post(f"{API}/pipelines", content='{\n  "name": "x",\n  "colour": 1\n}')
    assert response.json()["message"] == PROTO_PREFIX + '(line 3:3): unknown field "colour"'


def test_body_syntax_errors_are_encoding_jsons(http) -> None:
    _gateway_400(http.post(f"{API}/pipelines", content="{nope"), "invalid character 'n' looking for beginning of value")
    _gateway_400(http.post(f"{API}/pipelines", content='{"name": '), "unexpected EOF")


def test_nested_unknown_fields_refused_on_create_and_version(sandbox, http) -> None:
    response = http.post(f"{API}/pipelines/create", json={"pipeline": {"name": "x"},
                                                          "pipeline_version": {"package_url": {"url": "u"}}})
    assert response.status_code == 400 and response.json()["message"].endswith('unknown field "url"')
    (pipeline_id,) = sandbox.store.seed("", 1, prefix="v")
    response = http.post(f"{API}/pipelines/{pipeline_id}/versions", json={"name": "v", "spec": {}})
    assert response.status_code == 400 and response.json()["message"].endswith('unknown field "spec"')


# --- the filter: unescaped a second time ---------------------------------------------------
def test_a_percent_that_starts_no_escape_is_a_400(sandbox, http) -> None:
    sandbox.store.create_pipeline("", "50% off")
    raw = _filter({"operation": "IS_SUBSTRING", "key": "name", "string_value": "50%"})
    response = http.get(f"{API}/pipelines", params={"filter": raw})
    assert response.status_code == 400 and response.json()["code"] == 3
    body = response.json()
    assert body["message"].startswith("Failed to list pipelines due to invalid tag filter in filter spec: "
                                      "Invalid input error: failed to decode filter spec: invalid URL escape")
    assert body["details"][0]["message"].startswith("failed to decode filter spec: invalid URL escape")


def test_versions_filter_is_unescaped_twice_too(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, prefix="pv")
    raw = _filter({"operation": "IS_SUBSTRING", "key": "name", "string_value": "%"})
    response = http.get(f"{API}/pipelines/{pipeline_id}/versions", params={"filter": raw})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Failed to list pipeline versions due to invalid tag filter")


def test_a_filter_escaped_once_more_reaches_kfp_intact(sandbox, http) -> None:
    sandbox.store.create_pipeline("", "50% off")
    sandbox.store.create_pipeline("", "a+b")
    sandbox.store.create_pipeline("", "a b")
    for wanted in ("50% off", "a+b"):
        raw = quote(_filter({"operation": "EQUALS", "key": "name", "string_value": wanted}), safe="")
        assert _names(http.get(f"{API}/pipelines", params={"filter": raw})) == [wanted]


def test_substring_values_are_like_patterns(sandbox, http) -> None:
    """KFP puts the value into LIKE '%v%' unescaped: '_' matches any character, and
    MySQL's backslash escapes it."""
    for name in ("a_b", "axb", "50%"):
        sandbox.store.create_pipeline("", name)

    def search(value: str) -> list[str]:
        raw = quote(_filter({"operation": "IS_SUBSTRING", "key": "name", "string_value": value}), safe="")
        return sorted(_names(http.get(f"{API}/pipelines", params={"filter": raw})))

    assert search("a_b") == ["a_b", "axb"]
    assert search("a\\_b") == ["a_b"]
    assert search("0\\%") == ["50%"]
    assert search("%") == ["50%", "a_b", "axb"]


# --- MySQL collation: names compare case-insensitively -------------------------------------
def test_filters_and_sorting_ignore_case(sandbox, http) -> None:
    for name in ("beta", "Alpha", "gamma", "ALPHABET"):
        sandbox.store.create_pipeline("", name)
    equals = _filter({"operation": "EQUALS", "key": "name", "string_value": "alpha"})
    assert _names(http.get(f"{API}/pipelines", params={"filter": equals})) == ["Alpha"]
    substring = _filter({"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "ALPHA"})
    assert sorted(_names(http.get(f"{API}/pipelines", params={"filter": substring}))) == ["ALPHABET", "Alpha"]
    assert _names(http.get(f"{API}/pipelines", params={"sort_by": "name"})) == ["Alpha", "ALPHABET", "beta", "gamma"]


def test_version_names_are_unique_case_insensitively(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, prefix="Casey")
    with pytest.raises(Exception) as caught:
        sandbox.store.create_version(pipeline_id, "CASEY-00001", "", "", {"pipelineInfo": {"name": "x"}})
    assert caught.value.status == 409


# --- created_at: one-second resolution -----------------------------------------------------
def test_created_at_ties_within_a_second_and_lists_by_id(sandbox, http) -> None:
    rows = [sandbox.store.create_pipeline("", f"tie-{i}") for i in range(6)]
    assert len({r["created_at"] for r in rows}) <= 2  # whole seconds (two if a second boundary passed)
    listed = http.get(f"{API}/pipelines", params={"sort_by": "created_at"}).json()["pipelines"]
    by_time_then_id = sorted(rows, key=lambda r: (r["created_at"], r["id"]))
    assert [p["pipeline_id"] for p in listed] == [r["id"] for r in by_time_then_id]
    assert all(p["created_at"].endswith("Z") and "." not in p["created_at"] for p in listed)


def test_shuffled_ties_keep_pages_whole(sandbox, http) -> None:
    sandbox.store.shuffle_ties = True
    for i in range(30):
        sandbox.store.create_pipeline("", f"s-{i:02d}")
    seen, token = [], ""
    while True:
        params = {"page_size": 7, **({"page_token": token} if token else {"sort_by": "created_at"})}
        page = http.get(f"{API}/pipelines", params=params).json()
        seen += [p["name"] for p in page["pipelines"]]
        token = page.get("next_page_token", "")
        if not token:
            break
    assert sorted(seen) == [f"s-{i:02d}" for i in range(30)]


# --- KFP's error chains --------------------------------------------------------------------
def test_not_found_is_a_chain_with_an_external_sentence(http) -> None:
    response = http.get(f"{API}/pipelines/nope")
    assert response.status_code == 404
    assert response.json() == {
        "code": 5,
        "message": "Failed to get a pipeline nope. Check error stack: Failed to get a pipeline with id nope: "
                   "ResourceNotFoundError: Pipeline nope not found",
        "details": [{"@type": "type.googleapis.com/google.rpc.Status", "code": 5,
                     "message": "Pipeline nope not found"}],
    }


def test_delete_refusals_are_kfps(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, prefix="keep")
    refused = http.delete(f"{API}/pipelines/{pipeline_id}").json()
    assert refused["code"] == 3 and refused["details"][0]["message"].startswith(
        f"Failed to delete pipeline with id {pipeline_id} as it has existing pipeline versions (e.g. ")
    assert refused["message"].startswith(f"Failed to delete pipeline {pipeline_id}. Check error stack: "
                                         "Invalid input error: ")
    missing = http.delete(f"{API}/pipelines/gone").json()
    assert missing["code"] == 5 and missing["message"] == (
        "Failed to delete pipeline gone. Check error stack: Failed to delete pipeline with id gone as it was "
        "not found: ResourceNotFoundError: Pipeline gone not found")


def test_single_user_json_create_drops_the_namespace(http) -> None:
    """ReplaceNamespace: single-user KFP stores every pipeline as shared."""
    created = http.post(f"{API}/pipelines", json={"name": "json-made", "namespace": "team-a"})
    assert created.status_code == 200 and "namespace" not in created.json()
