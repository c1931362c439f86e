"""A body nested too deeply for Python's JSON decoder (RecursionError), from KFP, the gateway
or the dashboard, is read as "not JSON" wherever it arrives: detection's classification (a
401, a text/plain 200), healthz, env-info and KFP's error sentence. Never a 500 or a traceback.
The sandbox sends the body (``fail_next(kind="deep*")``)."""

from __future__ import annotations

import pytest

from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import PASSWORD, USER, error_code

HEALTHZ = "/apis/v2beta1/healthz"
ENV_INFO = "/api/workgroup/env-info"
DEX_LOGIN = {"auth": "dex", "username": USER, "password": PASSWORD}


@pytest.fixture
def sb_mode() -> str:
    return "standalone"


@pytest.fixture
def sb(sandbox_factory, sb_mode):
    return sandbox_factory(sb_mode)


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


async def test_a_deep_401_on_healthz_is_classified(call, sb, tracebacks):
    """detect.classify reads a 401's body to tell KFP's from a login front's."""
    sb.controls.fail_next(1, "deep_401", path=HEALTHZ)
    code, status = await call("GET", "status")
    assert code == 200, status
    assert status["login_required"] is True, status  # not KFP's own {code: 16}: a login front
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


async def test_a_deep_text_answer_on_healthz_is_not_json(call, sb, tracebacks):
    """classify tries a text/plain body as JSON too."""
    sb.controls.fail_next(2, "deep_text", path=HEALTHZ)  # the probe and its one alternative path
    code, status = await call("GET", "status")
    assert code == 200, status
    assert status["problem"] and status["problem"]["fix"], status
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


async def test_a_deep_healthz_is_not_json(call, sb, tracebacks):
    """The probe (detection) and the proof of the connection (kfp_calls.healthz) both read it."""
    sb.controls.fail_next(2, "deep", path=HEALTHZ)
    code, status = await call("GET", "status")
    assert code == 200, status
    assert status["problem"]["code"] == "not_json" and status["problem"]["fix"], status
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


async def test_a_deep_error_answer_has_no_sentence(call, sb, tracebacks):
    """kfp_calls.kfp_message reads KFP's error body for its sentence."""
    code, status = await call("GET", "status")
    assert code == 200 and status["state"] == "connected", status
    sb.controls.fail_next(1, "deep_500", path="/apis/v2beta1/pipelines")
    code, body = await call("GET", "pipelines", scope="shared")
    assert code == 502 and error_code(body) == "kfp_error" and body["error"]["fix"], body
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


@pytest.mark.parametrize("sb_mode", ["dex"])
async def test_a_deep_env_info_is_no_dashboard(call, sb, tracebacks):
    """kfp_calls.env_info: at sign-in (optional) and for the namespace picker."""
    sb.controls.fail_next(1, "deep", path=ENV_INFO)
    code, status = await call("POST", "login", DEX_LOGIN)
    assert code == 200 and status["state"] == "connected", status
    sb.controls.fail_next(1, "deep", path=ENV_INFO)
    code, body = await call("GET", "namespaces")
    assert code == 200 and body["source"] != "dashboard", body
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
