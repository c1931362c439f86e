"""A real kernel behind Kubeflow's Dex gateway: signs in with ``%kfp login`` (no echo), lists as
the right user, follows a panel re-login without a restart, explains an expired session, and
never shows the kernel secret or a session cookie in anything a notebook keeps."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jupyter_kfp_connect.kernel.client import HEADER_MAX_AGE
from tests.kernel.conftest import NAMESPACE, PASSWORD, USER, identities, kfp_app

ALICE, ALICE_PASSWORD = "alice@example.com", "alicepass"
LIST = f"kfp_client.list_pipelines(namespace={NAMESPACE!r}).total_size"


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("dex")


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/"}


async def test_kernel_signs_in_lists_as_the_user_and_follows_panel_logins(
        sb, start_kernel, call, jp_serverapp, ipython_dir):
    app = kfp_app(jp_serverapp)
    sb.controls.seed(NAMESPACE, 2)
    kernel = await start_kernel()
    # The secret left the environment as the extension loaded, before any cell can print it.
    await kernel.run("%env")
    await kernel.run("!env")

    # Loading is cheap: kfp is not imported until kfp_client is used.
    assert await kernel.value("'kfp' in __import__('sys').modules") == "False"
    assert "built on first use" in (await kernel.run("kfp_client")).text

    # Not signed in: the first use fails fast with the server's diagnosis, not a traceback.
    failed = await kernel.run(f"print({LIST})", ok=False)
    assert failed.error["ename"] == "KFPConnectError"
    assert "[not_signed_in]" in failed.error_text and "Fix:" in failed.error_text
    assert "Traceback" not in failed.error_text

    # %kfp login: username prompted in clear, password as a password field (no echo).
    login = await kernel.run("%kfp login", answers=[USER, PASSWORD])
    assert [p["password"] for p in login.prompts] == [False, True]
    assert "connected" in login.text and USER in login.text and NAMESPACE in login.text
    assert await kernel.value(LIST) == "2"
    assert identities(sb)[-1] == USER

    # The panel signs in as someone else: the running kernel follows at once, no restart.
    code, status = await call("POST", "login", {"auth": "dex", "username": ALICE, "password": ALICE_PASSWORD,
                                                "namespace": NAMESPACE})
    assert code == 200 and status["state"] == "connected", status
    await asyncio.sleep(HEADER_MAX_AGE)  # headers fetched just before may be reused that long
    assert await kernel.value(LIST) == "2"
    assert identities(sb)[-1] == ALICE

    # The session ends (a day later): the kernel says so, with the fix.
    sb.controls.expire_sessions()
    expired = await kernel.run(f"print({LIST})", ok=False)
    assert "[session_expired]" in expired.error_text and "Fix:" in expired.error_text

    # A re-login in the panel reaches the same running kfp_client.
    code, status = await call("POST", "login", {"auth": "dex", "username": ALICE, "password": ALICE_PASSWORD,
                                                "namespace": NAMESPACE})
    assert code == 200, status
    assert await kernel.value(LIST) == "2"
    assert identities(sb)[-1] == ALICE

    # Nothing a notebook keeps shows the kernel secret, a session cookie or the password.
    await kernel.run("import os; print(dict(os.environ))")
    await kernel.run("print(vars(kfp_client._pipelines_api.api_client.configuration))")
    await kernel.run("%history -g")
    secrets = [app.kernel_secret, PASSWORD, ALICE_PASSWORD]
    for connection in app.connections:
        if connection.credentials is not None:
            secrets += connection.credentials.secrets()
    assert len(secrets) > 3
    for outcome in kernel.outcomes:
        for secret in secrets:
            assert secret not in outcome.everything
    # ... nor the kernel's history database.
    await kernel.run("get_ipython().history_manager.writeout_cache()")
    stored = b"".join(p.read_bytes() for p in Path(ipython_dir).rglob("*") if p.is_file())
    assert b"kfp_client" in stored  # the history is there, and it is clean
    for secret in secrets:
        assert secret.encode() not in stored


async def test_a_kernel_renews_an_expired_keep_me_signed_in_session_with_one_login(sb, start_kernel, call):
    """The kernel meets the gateway's login page, asks the server to check (``check=1``), the
    server signs in again with the kept password, and the kernel's call succeeds."""
    from tests.handlers.test_connection_dex import dex_logins

    sb.controls.seed(NAMESPACE, 2)
    code, status = await call("POST", "login", {"auth": "dex", "username": USER, "password": PASSWORD,
                                                "namespace": NAMESPACE, "keep_signed_in": True})
    assert code == 200 and status["keep_signed_in"] is True, status
    kernel = await start_kernel()
    assert await kernel.value(LIST) == "2"
    logins = dex_logins(sb)

    assert sb.controls.expire_sessions() >= 1
    assert await kernel.value(LIST) == "2"  # no error: renewed behind the call
    assert dex_logins(sb) == logins + 1
    assert identities(sb)[-1] == USER
    code, status = await call("GET", "status")
    assert status["state"] == "connected" and status["generation"] == 2
