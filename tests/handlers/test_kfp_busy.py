"""A KFP call that waits its whole ``request_timeout`` for an admission slot is refused as
``kfp_busy`` (503, with a fix), never sent late, never a false ``unreachable``."""

import asyncio

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403


@pytest.fixture
def kfp_config(sb):  # noqa: F811 - one call at a time, a short wait
    return {"host": sb.kfp_host, "max_concurrent_requests": 1, "request_timeout": 1.0}


@pytest.mark.parametrize("kfp_mode", ["standalone"], indirect=True)
async def test_a_call_that_waits_its_whole_timeout_is_kfp_busy(kfp, sb):
    await kfp.connect()
    sb.controls.clear_log()
    sb.controls.latency(0.3)
    answers = await asyncio.gather(*(kfp("GET", "pipelines", scope="shared") for _ in range(8)))
    sb.controls.latency(0)
    codes = sorted((code, body.get("error", {}).get("code") if code != 200 else None) for code, body in answers)
    assert (200, None) in codes and (503, "kfp_busy") in codes, codes
    assert set(codes) <= {(200, None), (503, "kfp_busy")}, codes
    busy = next(body for code, body in answers if code == 503)
    assert busy["error"]["fix"] and "max_concurrent_requests" in busy["error"]["fix"]
    sent = len(sb.controls.request_log())
    assert sent == sum(1 for code, _ in answers if code == 200)  # a refused call was never sent
    code, status = await kfp("GET", "status")
    assert status["state"] == "connected" and status["problem"] is None, status
