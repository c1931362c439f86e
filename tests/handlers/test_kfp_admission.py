"""KFP calls wait their turn: one connection has at most ``max_concurrent_requests`` calls in
flight, the rest queue (bounded by ``request_timeout``: ``kfp_busy``), and the panel's status
refresh never waits behind that queue.

Why (``benchmarks/bench_load.py``): 500 list calls at once all went to KFP together; their
answers then arrived together and each turn of the server's loop spent hundreds of
milliseconds on them (Jupyter's own ``/api/status`` waited seconds), and the calls beyond the
pool's 100 connections waited for one inside aiohttp's connect timeout, a false ``unreachable``.
"""

import asyncio

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403

LIMIT = 3


@pytest.fixture
def kfp_config(sb):  # noqa: F811 - this module's servers bound the calls in flight
    return {"host": sb.kfp_host, "max_concurrent_requests": LIMIT, "request_timeout": 5.0}


def pending(sb) -> int:
    """KFP requests the sandbox has received and not yet answered."""
    return sum(1 for r in sb.controls.request_log() if r["status"] is None)


async def lists_in_flight(kfp, count: int) -> list[asyncio.Task]:
    return [asyncio.ensure_future(kfp("GET", "pipelines", scope="shared")) for _ in range(count)]


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_at_most_the_limit_reaches_kfp_at_once(kfp, sb):
    await kfp.connect()
    sb.controls.clear_log()
    sb.controls.latency(0.3)
    calls = await lists_in_flight(kfp, 4 * LIMIT)
    most = 0
    while not all(c.done() for c in calls):
        most = max(most, pending(sb))
        await asyncio.sleep(0.01)
    sb.controls.latency(0)
    answers = [c.result() for c in calls]
    assert all(code == 200 for code, _ in answers), answers
    assert len(sb.controls.request_log()) == 4 * LIMIT  # each sent once, none refused
    assert 2 <= most <= LIMIT, most  # in parallel, but never more than the limit


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_status_check_answers_from_state_while_the_queue_is_full(kfp, sb):
    await kfp.connect()
    sb.controls.clear_log()
    sb.controls.latency(1.0)
    calls = await lists_in_flight(kfp, 3 * LIMIT)
    while pending(sb) < LIMIT:
        await asyncio.sleep(0.01)
    code, status = await kfp("GET", "status", check="1")
    finished = sum(c.done() for c in calls)
    sb.controls.latency(0)
    await asyncio.gather(*calls)
    assert code == 200 and status["state"] == "connected", status
    # a probe queued behind the lists would have waited for at least the first round of them
    assert finished == 0, finished
    assert all(r["path"].endswith("/pipelines") for r in sb.controls.request_log())
    assert len(sb.controls.request_log()) == 3 * LIMIT  # no probe was sent


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_status_check_still_probes_when_nothing_waits(kfp, sb):
    await kfp.connect()
    sb.controls.clear_log()
    code, status = await kfp("GET", "status", check="1")
    assert code == 200 and status["state"] == "connected", status
    assert [r["path"] for r in sb.controls.request_log()] == ["/apis/v2beta1/pipelines"]


