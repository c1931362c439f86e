"""A session is judged by what the gateway says: an HTML page with status 200 is no login,
an expired session that KFP accepts again recovers, and ``status.problem`` is cleared or recomputed when it stops being
true (after a later call succeeds, after a namespace switch)."""

from __future__ import annotations

import contextlib

import pytest

from jupyter_kfp_connect.connection.config import resolve
from jupyter_kfp_connect.connection.session import Connection
from jupyter_kfp_connect.errors import KFPConnectError
from tests.connection.kfp_fixtures import NAMESPACE, PASSWORD, USER


@pytest.fixture
def dex_sb(sandbox_factory):
    return sandbox_factory("dex")


@contextlib.asynccontextmanager
async def signed_in(sb):
    connection = Connection("tester", resolve({"host": sb.kfp_host}, {}))
    try:
        await connection.login(auth="dex", username=USER, password=PASSWORD)
        yield connection
    finally:
        await connection.close()


async def test_an_html_200_with_a_live_session_keeps_it(dex_sb):
    """A 200 HTML page on an API call (a proxy's or a portal's moment) is not_json for that
    call, never a login: the session stays connected and the next call is answered."""
    async with signed_in(dex_sb) as conn:
        events: list[str] = []
        conn.add_listener(lambda event, c: events.append(event))
        dex_sb.controls.fail_next(1, "html")
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert err.value.code == "not_json" and conn.state == "connected"
        response = await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert response.status_code == 200 and conn.status()["problem"] is None
        assert events == []


async def test_an_expired_session_that_kfp_accepts_again_recovers(dex_sb):
    """One 401 from the gateway (oauth2-proxy could not load the session once) is judged an
    expiry; the session's cookie still goes to its own gateway, and when KFP answers normally
    the connection is live again and says so to its listeners (kernels pick it up again)."""
    async with signed_in(dex_sb) as conn:
        events: list[str] = []
        conn.add_listener(lambda event, c: events.append(event))
        dex_sb.controls.fail_next(1, "401")
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert err.value.code == "session_expired"
        assert conn.state == "expired" and conn.status()["problem"]["code"] == "session_expired"
        response = await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert response.status_code == 200
        status = conn.status()
        assert status["state"] == "connected" and status["problem"] is None
        assert events == ["expired", "relogin"]


async def test_a_session_the_gateway_ended_stays_expired(dex_sb):
    async with signed_in(dex_sb) as conn:
        dex_sb.controls.expire_sessions()
        for _ in range(2):
            with pytest.raises(KFPConnectError) as err:
                await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
            assert err.value.code == "session_expired" and conn.state == "expired"


async def test_a_transport_problem_clears_when_kfp_answers(dex_sb):
    async with signed_in(dex_sb) as conn:
        dex_sb.controls.fail_next(2, "drop")  # aiohttp retries an idempotent request once
        with pytest.raises(KFPConnectError):
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert conn.status()["problem"] is not None
        await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert conn.status()["problem"] is None and conn.state == "connected"


async def test_the_access_problem_follows_the_namespace(kfp_server_call, dex_sb):
    """Switching to a namespace without access shows its RBAC problem; switching back clears it."""
    call = kfp_server_call
    code, body = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD})
    assert code == 200 and body["problem"] is None, body
    code, _ = await call("PUT", "namespace", {"namespace": "team-nobody"})
    code, status = await call("GET", "status")
    assert status["problem"] and status["problem"]["code"] == "rbac_denied", status
    code, _ = await call("PUT", "namespace", {"namespace": NAMESPACE})
    code, status = await call("GET", "status")
    assert status["problem"] is None, status


@pytest.fixture
def kfp_config(dex_sb):
    return {"host": dex_sb.kfp_host}


@pytest.fixture
def jp_server_config(jp_server_config, kfp_config, clean_env):
    return {**jp_server_config, "KFPConnect": dict(kfp_config)}


@pytest.fixture
def kfp_server_call(call):
    return call


from tests.connection.kfp_fixtures import call, clean_env  # noqa: E402,F401  (fixtures)
