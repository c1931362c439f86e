"""GET kfp-connect/pipelines and pipelines/{id}: KFP paging, sort, search by KFP's filter,
private and shared scopes, detail with versions and summary, KFP UI links."""

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import API, error_of


def _list_requests(sb) -> list[dict]:
    return [r for r in sb.controls.request_log() if r["method"] == "GET" and r["path"].endswith(f"{API}/pipelines")]


async def test_pages_through_more_than_200_private_pipelines(kfp, sb, namespace):
    sb.controls.seed(namespace, 230, prefix="mine")
    if sb.multi_user:
        sb.controls.seed("", 15, prefix="common")  # must not leak into the private scope
    await kfp.connect()
    sb.controls.clear_log()

    seen, token, pages = [], "", 0
    while True:
        query = {"scope": "private", "page_size": "100"}
        if token:
            query["page_token"] = token
        code, body = await kfp("GET", "pipelines", **query)
        assert code == 200, body
        pages += 1
        assert len(body["pipelines"]) <= 100
        assert body["total_size"] == 230
        assert body["scope"] == "private" and body["namespace"] == namespace
        seen += body["pipelines"]
        token = body["next_page_token"]
        if not token:
            break

    assert pages == 3
    assert len({p["id"] for p in seen}) == 230
    assert all(p["name"].startswith("mine-") for p in seen)
    assert all(p["namespace"] == namespace and p["shared"] is not bool(namespace) for p in seen)
    # the default order is newest first, kept across pages by KFP's token
    names = [p["name"] for p in seen]
    assert names == sorted(names, reverse=True)
    # one KFP request per page: nothing fetched "just in case"
    assert len(_list_requests(sb)) == 3


@pytest.mark.parametrize("kfp_mode", ["dex"], indirect=True)  # single-user KFP has no private scope
async def test_shared_scope_lists_shared_pipelines_only(kfp, sb, namespace):
    sb.controls.seed("", 12, prefix="common")
    sb.controls.seed(namespace, 5, prefix="mine")
    await kfp.connect()
    code, body = await kfp("GET", "pipelines", scope="shared", page_size="50")
    assert code == 200, body
    assert body["total_size"] == 12 and body["namespace"] == ""
    assert {p["name"][:7] for p in body["pipelines"]} == {"common-"}
    assert all(p["shared"] for p in body["pipelines"])


async def test_sort_by_display_name_both_ways(kfp, sb, namespace):
    sb.controls.seed(namespace, 30, prefix="zed")
    sb.controls.seed(namespace, 30, prefix="abe")
    await kfp.connect()
    code, up = await kfp("GET", "pipelines", sort_by="display_name", page_size="10")
    assert code == 200, up
    assert [p["display_name"] for p in up["pipelines"]] == [f"abe-{i:05d}" for i in range(1, 11)]
    code, down = await kfp("GET", "pipelines", sort_by="display_name desc", page_size="10")
    assert [p["display_name"] for p in down["pipelines"]] == [f"zed-{i:05d}" for i in range(30, 20, -1)]
    code, bad = await kfp("GET", "pipelines", sort_by="colour")
    assert code == 400 and error_of(bad)["code"] == "bad_request"


async def test_search_is_done_by_kfp_filter(kfp, sb, namespace):
    sb.controls.seed(namespace, 240, prefix="alpha")
    sb.controls.seed(namespace, 25, prefix="beta")
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp("GET", "pipelines", search="beta", page_size="10")
    assert code == 200, body
    # KFP counted the matches (total_size) and paged them: one request, 10 of 25 returned.
    assert body["total_size"] == 25
    assert len(body["pipelines"]) == 10 and body["next_page_token"]
    assert all("beta" in p["display_name"] for p in body["pipelines"])
    assert len(_list_requests(sb)) == 1
    # the next page continues the same search (KFP's token carries the filter)
    code, more = await kfp("GET", "pipelines", page_token=body["next_page_token"], page_size="20")
    assert code == 200 and len(more["pipelines"]) == 15 and not more["next_page_token"]
    assert all("beta" in p["display_name"] for p in more["pipelines"])
    assert len(_list_requests(sb)) == 2


async def test_bad_paging_arguments_are_refused(kfp):
    await kfp.connect()
    for query in ({"page_size": "0"}, {"page_size": "201"}, {"page_size": "ten"}, {"scope": "everyone"}):
        code, body = await kfp("GET", "pipelines", **query)
        assert code == 400 and error_of(body)["code"] == "bad_request", query


async def test_detail_has_versions_summary_and_ui_links(kfp, sb, scaler_yaml, monkeypatch):
    # KFP's created_at has whole seconds: give each upload its own second, so "newest
    # first" is about time, not about how KFP orders ties
    seconds = iter(range(1_767_225_600, 1_767_225_700))
    monkeypatch.setattr(sb.store, "_now_second", lambda: next(seconds) * 1_000_000)
    await kfp.connect()
    code, created = await kfp.upload(scaler_yaml, "scaler.yaml")
    assert code == 201, created
    pid = created["pipeline"]["id"]
    code, v2 = await kfp.upload(scaler_yaml, "scaler.yaml", path=f"pipelines/{pid}/versions", name="second")
    assert code == 201, v2

    code, detail = await kfp("GET", f"pipelines/{pid}")
    assert code == 200, detail
    assert detail["pipeline"]["name"] == "scaler"
    assert detail["pipeline"]["description"] == "Scales a number twice and reports it."
    assert detail["total_size"] == 2
    assert [v["name"] for v in detail["versions"]] == ["second", "scaler"]  # newest first
    latest = detail["latest_version"]
    assert latest["id"] == v2["version"]["id"]

    params = {p["name"]: p for p in latest["summary"]["parameters"]}
    assert params["x"]["type"] == "NUMBER_DOUBLE" and params["x"]["default"] == 1.5
    assert params["label"]["type"] == "STRING" and params["label"]["default"] == "result"
    assert params["verbose"]["type"] == "BOOLEAN" and params["verbose"]["default"] is True
    assert params["rounds"]["type"] == "NUMBER_INTEGER" and params["rounds"]["default"] == 3
    assert params["tags"]["type"] == "LIST" and params["tags"]["default"] == ["a", "b"]
    tasks = {t["name"]: t for t in latest["summary"]["tasks"]}
    assert tasks["scale"]["dependencies"] == []
    assert tasks["scale-2"]["dependencies"] == ["scale"]
    assert tasks["report"]["dependencies"] == ["scale-2"]
    assert [t["name"] for t in latest["summary"]["tasks"]] == ["scale", "scale-2", "report"]

    # UI links follow the KFP UI's routes under the configured UI base
    ui = sb.url + "/pipeline"
    assert detail["pipeline"]["ui_url"] == f"{ui}/#/pipelines/details/{pid}"
    assert latest["ui_url"] == f"{ui}/#/pipelines/details/{pid}/version/{latest['id']}"
    assert all(v["ui_url"].endswith(f"/version/{v['id']}") for v in detail["versions"])

    code, version = await kfp("GET", f"pipelines/{pid}/versions/{detail['versions'][1]['id']}")
    assert code == 200 and version["name"] == "scaler"
    assert {t["name"] for t in version["summary"]["tasks"]} == {"scale", "scale-2", "report"}

    # versions page too
    code, page = await kfp("GET", f"pipelines/{pid}", page_size="1")
    assert len(page["versions"]) == 1 and page["next_page_token"]
    code, rest = await kfp("GET", f"pipelines/{pid}", page_size="1", page_token=page["next_page_token"])
    assert [v["name"] for v in rest["versions"]] == ["scaler"] and rest["latest_version"] is None


async def test_unknown_pipeline_is_not_found(kfp):
    await kfp.connect()
    code, body = await kfp("GET", "pipelines/0b5e1a4c-1f2e-4d3c-9a8b-7c6d5e4f3a2b")
    assert code == 404 and error_of(body)["code"] == "not_found"


@pytest.mark.parametrize("kfp_mode", ["dex"], indirect=True)  # standalone KFP needs no sign-in
async def test_list_needs_a_signed_in_connection(kfp, sb):
    code, body = await kfp("GET", "pipelines")
    problem = error_of(body)
    assert code == 401 and problem["code"] == "not_signed_in", body
    assert problem["message"] and problem["fix"], body


def test_ui_link_format():
    """The link builder keeps ids in one path segment each (KFP UI route /pipelines/details/:pid/version/:vid)."""
    from jupyter_kfp_connect.pipelines import PipelinesService

    class Conn:
        ui_base = "https://kf.example.com/pipeline/"

    service = PipelinesService(Conn())
    assert service.ui_url("p 1", "v/2") == "https://kf.example.com/pipeline/#/pipelines/details/p%201/version/v%2F2"
    assert PipelinesService(type("C", (), {"ui_base": ""})()).ui_url("p") == ""
