"""Listing like KFP: page size rules, opaque keyset tokens, sort_by, JSON filters, errors."""

from __future__ import annotations

import json

import pytest

API = "/apis/v2beta1"


def _filter(*predicates: dict) -> str:
    return json.dumps({"predicates": list(predicates)})


@pytest.fixture
def seeded(sandbox):
    sandbox.store.seed("", 45, prefix="alpha")
    sandbox.store.seed("", 5, prefix="beta")
    return sandbox


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json().get("pipelines", [])]


def test_empty_list_is_an_empty_object(http) -> None:
    response = http.get(f"{API}/pipelines")
    assert response.status_code == 200 and response.json() == {}


def test_default_page_and_walking_the_tokens(seeded, http) -> None:
    first = http.get(f"{API}/pipelines").json()
    assert len(first["pipelines"]) == 20 and first["total_size"] == 50
    seen = [p["name"] for p in first["pipelines"]]
    token = first["next_page_token"]
    while token:
        page = http.get(f"{API}/pipelines", params={"page_token": token}).json()
        seen += [p["name"] for p in page["pipelines"]]
        token = page.get("next_page_token")
    # Default order is creation time: every pipeline exactly once, oldest first.
    assert seen == [f"alpha-{i:05d}" for i in range(1, 46)] + [f"beta-{i:05d}" for i in range(1, 6)]


def test_page_size_bounds(seeded, http) -> None:
    seeded.store.seed("", 200, prefix="gamma")
    assert len(names(http.get(f"{API}/pipelines", params={"page_size": 0}))) == 20
    assert len(names(http.get(f"{API}/pipelines", params={"page_size": 1000}))) == 200
    bad = http.get(f"{API}/pipelines", params={"page_size": -1})
    assert bad.status_code == 400 and bad.json()["code"] == 3


def test_sort_by_and_token_keeps_the_sort(seeded, http) -> None:
    first = http.get(f"{API}/pipelines", params={"sort_by": "name desc", "page_size": 3}).json()
    assert [p["name"] for p in first["pipelines"]] == ["beta-00005", "beta-00004", "beta-00003"]
    second = http.get(f"{API}/pipelines", params={"page_token": first["next_page_token"], "page_size": 3})
    assert names(second) == ["beta-00002", "beta-00001", "alpha-00045"]
    ascending = http.get(f"{API}/pipelines", params={"sort_by": "display_name", "page_size": 2})
    assert names(ascending) == ["alpha-00001", "alpha-00002"]


def test_token_with_other_criteria_is_refused(seeded, http) -> None:
    token = http.get(f"{API}/pipelines", params={"sort_by": "name desc"}).json()["next_page_token"]
    same = http.get(f"{API}/pipelines", params={"page_token": token, "sort_by": "name desc"})
    assert same.status_code == 200
    other = http.get(f"{API}/pipelines", params={"page_token": token, "sort_by": "name"})
    assert other.status_code == 400 and "page token does not match" in other.json()["message"]
    garbage = http.get(f"{API}/pipelines", params={"page_token": "not-a-token"})
    assert garbage.status_code == 400 and "token" in garbage.json()["message"]


@pytest.mark.parametrize("sort_by", ["bogus", "name sideways", "name desc extra"])
def test_bad_sort_is_400(http, sort_by) -> None:
    response = http.get(f"{API}/pipelines", params={"sort_by": sort_by})
    body = response.json()
    assert response.status_code == 400 and body["code"] == 3 and body["message"]
    assert isinstance(body["details"], list)


@pytest.mark.parametrize("predicate, expected", [
    ({"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "BETA"}, 5),  # LIKE: any case
    ({"operation": 9, "key": "name", "stringValue": "0004"}, 8),  # SDK style: enum number, camelCase
    ({"operation": "EQUALS", "key": "name", "string_value": "alpha-00007"}, 1),
    ({"operation": "NOT_EQUALS", "key": "name", "string_value": "alpha-00007"}, 49),
    ({"operation": "IN", "key": "name", "string_values": {"values": ["beta-00001", "beta-00002"]}}, 2),
    ({"operation": "GREATER_THAN", "key": "name", "string_value": "beta-00003"}, 2),
    ({"operation": "LESS_THAN_EQUALS", "key": "name", "string_value": "alpha-00003"}, 3),
    ({"operation": "GREATER_THAN", "key": "created_at", "timestamp_value": "2000-01-01T00:00:00Z"}, 50),
    ({"operation": "LESS_THAN", "key": "created_at", "timestamp_value": "2000-01-01T00:00:00Z"}, 0),
])
def test_filters(seeded, http, predicate, expected) -> None:
    response = http.get(f"{API}/pipelines", params={"filter": _filter(predicate), "page_size": 200})
    assert response.status_code == 200, response.text
    assert response.json().get("total_size", 0) == expected
    assert len(response.json().get("pipelines", [])) == expected


def test_time_filters_compare_whole_seconds_like_kfp(seeded, http) -> None:
    """KFP stores created_at in seconds: EQUALS on a pipeline's own time finds it, and
    GREATER_THAN that time skips everything created in the same second."""
    pipeline = http.get(f"{API}/pipelines", params={"page_size": 1}).json()["pipelines"][0]
    created = pipeline["created_at"]  # RFC 3339, whole seconds
    assert "." not in created

    def count(operation: str) -> int:
        flt = _filter({"operation": operation, "key": "created_at", "timestamp_value": created})
        response = http.get(f"{API}/pipelines", params={"filter": flt, "page_size": 200})
        assert response.status_code == 200, response.text
        return response.json().get("total_size", 0)

    same_second = count("EQUALS")
    assert same_second >= 1
    assert count("GREATER_THAN") + count("LESS_THAN") + same_second == 50


def test_filter_is_carried_by_the_token(seeded, http) -> None:
    flt = _filter({"operation": "IS_SUBSTRING", "key": "name", "string_value": "alpha"})
    first = http.get(f"{API}/pipelines", params={"filter": flt, "page_size": 40}).json()
    rest = http.get(f"{API}/pipelines", params={"page_token": first["next_page_token"], "page_size": 40})
    assert names(rest) == [f"alpha-{i:05d}" for i in range(41, 46)]
    assert rest.json()["total_size"] == 45 and "next_page_token" not in rest.json()


@pytest.mark.parametrize("raw", [
    "{not json",
    _filter({"operation": "IS_SUBSTRING", "key": "colour", "string_value": "x"}),
    _filter({"operation": "SOUNDS_LIKE", "key": "name", "string_value": "x"}),
    _filter({"operation": "IN", "key": "name", "string_value": "x"}),
    _filter({"operation": "EQUALS", "key": "name", "string_values": {"values": ["x"]}}),
    _filter({"operation": "IS_SUBSTRING", "key": "name", "int_value": 3}),
    _filter({"operation": "EQUALS", "key": "name"}),
    _filter({"op": "EQUALS", "key": "name", "string_value": "x"}),  # no such field in KFP's proto
    _filter({"operation": "EQUALS", "key": "name", "string_value": "x", "colour": "red"}),
])
def test_bad_filters_are_400(http, raw) -> None:
    response = http.get(f"{API}/pipelines", params={"filter": raw})
    assert response.status_code == 400 and response.json()["code"] == 3


def test_a_plus_in_a_filter_is_a_space_as_in_go(sandbox, http) -> None:
    sandbox.store.create_pipeline("", "a b", "a b")
    sandbox.store.create_pipeline("", "a+b", "a+b")
    # A '+' that reaches KFP's filter string unescaped is a space to Go's url.QueryUnescape.
    raw = '{"predicates":[{"operation":"EQUALS","key":"name","string_value":"a+b"}]}'
    assert names(http.get(f"{API}/pipelines", params={"filter": raw})) == ["a b"]


def test_a_page_token_works_only_for_its_own_listing(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, versions=3, prefix="tok")
    sandbox.store.seed("", 3, prefix="more")
    token = http.get(f"{API}/pipelines", params={"page_size": 1}).json()["next_page_token"]
    wrong = http.get(f"{API}/pipelines/{pipeline_id}/versions", params={"page_token": token})
    assert wrong.status_code == 400 and "another listing" in wrong.json()["message"]


def test_versions_list_pages_too(sandbox, http) -> None:
    (pipeline_id,) = sandbox.store.seed("", 1, versions=5, prefix="multi")
    first = http.get(f"{API}/pipelines/{pipeline_id}/versions",
                     params={"page_size": 2, "sort_by": "created_at desc"}).json()
    assert first["total_size"] == 5
    assert [v["name"] for v in first["pipeline_versions"]] == ["multi-00001-v5", "multi-00001-v4"]
    assert first["pipeline_versions"][0]["pipeline_spec"]["pipelineInfo"]["name"] == "multi-00001"
    rest = http.get(f"{API}/pipelines/{pipeline_id}/versions",
                    params={"page_token": first["next_page_token"], "page_size": 10}).json()
    assert [v["name"] for v in rest["pipeline_versions"]] == ["multi-00001-v3", "multi-00001-v2", "multi-00001"]


def test_ten_thousand_seeded_pipelines_list_correctly(sandbox, http) -> None:
    ids = sandbox.store.seed("", 10_000)
    assert len(ids) == 10_000 and sandbox.store.counts()["pipelines"] == 10_000
    page = http.get(f"{API}/pipelines", params={"sort_by": "name desc", "page_size": 5}).json()
    assert page["total_size"] == 10_000
    assert [p["name"] for p in page["pipelines"]][:2] == ["pipeline-10000", "pipeline-09999"]
    found = http.get(f"{API}/pipelines", params={
        "filter": _filter({"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "-0999"})}).json()
    assert found["total_size"] == 10  # pipeline-09990 .. pipeline-09999


def test_version_total_size_counts_every_version_whatever_the_page(sandbox, http) -> None:
    """KFP 2.17 answers list versions' total_size with a count(*) over the pipeline's versions
    beside the page query, so page_size=1 still counts them all (the list rows' counts)."""
    [pid] = sandbox.store.seed("", 1, versions=4, prefix="counted")
    page = http.get(f"{API}/pipelines/{pid}/versions", params={"page_size": 1}).json()
    assert len(page["pipeline_versions"]) == 1 and page["total_size"] == 4
    assert page["next_page_token"]
    listed = http.get(f"{API}/pipelines").json()["pipelines"][0]
    assert "total_size" not in listed and not any("version" in key for key in listed)
