"""Hostile packages through the validate and upload endpoints: a clean 400/413 every time,
nothing sent to KFP, and Jupyter stays responsive (``/api/status``) while they are read."""

import asyncio
import time

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import error_of
from tests.hostile.packages import cases, task_chain

CASES = cases()
standalone_only = pytest.mark.parametrize("kfp_mode", ["standalone"])

async def status_latencies(jp_fetch, samples: int) -> list[float]:
    """Jupyter's own /api/status round trips, one every 20 ms, while something else runs."""
    found = []
    for _ in range(samples):
        started = time.monotonic()
        await jp_fetch("api", "status")
        found.append(time.monotonic() - started)
        await asyncio.sleep(0.02)
    return found



@standalone_only
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("endpoint", ["validate", "pipelines"])
async def test_hostile_package_gets_a_clean_refusal(kfp, endpoint, name, scaler_yaml):
    data, filename = CASES[name]
    await kfp.connect()
    # The reader's worker processes start on first use (seconds, once): that is not what is timed.
    assert (await kfp.upload(scaler_yaml, "scaler.yaml", path="validate"))[0] == 200
    started = time.monotonic()
    code, body = await kfp.upload(data, filename, path=endpoint)
    assert time.monotonic() - started < 3.0
    assert code in (400, 413), body
    assert error_of(body)["code"] in ("invalid_package", "package_too_large"), body
    assert kfp.uploads_sent() == []


@standalone_only
async def test_nul_in_a_root_path_is_a_bad_request(kfp):
    await kfp.connect()
    code, body = await kfp("POST", "validate", {"path": "pipe\x00line.yaml"})
    assert code == 400 and error_of(body)["code"] == "bad_request", body


@standalone_only
async def test_jupyter_answers_while_bombs_are_read(kfp, jp_fetch):
    """Parsing happens in worker processes with budgets: /api/status keeps answering meanwhile,
    from the first package on (starting the workers is off the event loop too)."""
    from jupyter_kfp_connect import package_worker

    package_worker.shutdown()
    await kfp.connect()

    bombs = [kfp.upload(*CASES[name], path="validate")
             for name in ("alias-bomb", "zeros-2gb-searched", "deep-flow-yaml", "many-members")]
    *answers, latencies = await asyncio.gather(*bombs, status_latencies(jp_fetch, 15))
    assert all(code in (400, 413) for code, _ in answers), answers
    assert max(latencies) < 0.5, latencies


@standalone_only
async def test_validate_answers_a_long_chain_of_tasks_quickly(kfp, jp_fetch, scaler_yaml, monkeypatch):
    """8,000 tasks in a chain: validated and summarized (in the worker, not on the loop) in
    well under 2 s, the answer's lists cut at MAX_SUMMARY_ITEMS, and Jupyter answering
    meanwhile."""
    from jupyter_kfp_connect import packages
    from jupyter_kfp_connect.packages import MAX_SUMMARY_ITEMS

    def not_here(*args, **kwargs):  # the worker processes do not see this patch
        raise AssertionError("a package was summarized in the server's process")

    monkeypatch.setattr(packages, "summarize", not_here)
    await kfp.connect()
    assert (await kfp.upload(scaler_yaml, "scaler.yaml", path="validate"))[0] == 200  # workers up

    started = time.monotonic()
    (code, body), latencies = await asyncio.gather(
        kfp.upload(task_chain(8_000), "chain.yaml", path="validate"), status_latencies(jp_fetch, 10))
    assert time.monotonic() - started < 2.0
    assert code == 200, body
    summary = body["summary"]
    assert summary["truncated"] is True and summary["counts"]["tasks"] == 8_000
    assert [t["name"] for t in summary["tasks"][:3]] == ["t0", "t1", "t2"]
    assert len(summary["tasks"]) == MAX_SUMMARY_ITEMS
    assert max(latencies) < 0.5, latencies
