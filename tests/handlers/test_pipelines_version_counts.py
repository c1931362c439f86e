"""GET version-counts: the list rows' version counts, from KFP's list versions ``total_size``
(KFP's pipeline list carries none), one small KFP call per pipeline, a few at a time."""

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import error_of

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_counts_are_kfps_total_sizes(kfp, sb, namespace):
    await kfp.connect()
    one = sb.controls.seed(namespace, 2, versions=1, prefix="counted-one")
    three = sb.controls.seed(namespace, 1, versions=3, prefix="counted-three")
    sb.controls.clear_log()
    ids = [*one, *three, MISSING]
    code, body = await kfp("GET", "version-counts", ids=",".join(ids))
    assert code == 200, body
    assert body["counts"] == {one[0]: 1, one[1]: 1, three[0]: 3, MISSING: None}
    # one list-versions call of page size 1 per pipeline, nothing else
    calls = [r for r in sb.controls.request_log() if r["path"].endswith("/versions")]
    assert len(calls) == len(ids)


async def test_bad_requests_are_refused_before_any_kfp_call(kfp, sb):
    await kfp.connect()
    sb.controls.clear_log()
    code, body = await kfp("GET", "version-counts", ids="not-an-id")
    assert code == 400 and error_of(body)["code"] == "bad_request", body
    too_many = ",".join(f"00000000-0000-4000-8000-{i:012d}" for i in range(201))
    code, body = await kfp("GET", "version-counts", ids=too_many)
    assert code == 400 and error_of(body)["code"] == "bad_request", body
    assert "200" in error_of(body)["message"]
    assert not [r for r in sb.controls.request_log() if "/versions" in r["path"]]
    code, body = await kfp("GET", "version-counts", ids="")
    assert code == 200 and body == {"counts": {}}, body


async def test_a_session_failure_is_the_requests(kfp, sb, namespace):
    await kfp.connect()
    ids = sb.controls.seed(namespace, 3, versions=2, prefix="counted-down")
    sb.controls.fail_next(10, kind="503")
    code, body = await kfp("GET", "version-counts", ids=",".join(ids))
    assert code == 502 and error_of(body)["code"] == "kfp_error", body
