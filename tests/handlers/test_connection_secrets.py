"""No password, cookie value or token ever reaches a response, a log line or a file: a full
run of sign-ins, failures, expiry and renewal, with every log record and byte of output kept."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from jupyter_kfp_connect.connection.dex import dex_login
from jupyter_kfp_connect.sandbox.dex_pages import DexUser
from tests.connection.kfp_fixtures import *  # noqa: F401,F403

EMAIL, PASSWORD, NAMESPACE = "carol@example.com", "Carol-s3cret-Pa55phrase", "carol"


@pytest.fixture
def sb(sandbox_factory):
    sandbox = sandbox_factory("dex")
    sandbox.front.dex.users = (*sandbox.front.dex.users, DexUser(EMAIL, PASSWORD, "carol"))
    sandbox.rbac.grant(EMAIL, NAMESPACE, "admin")
    return sandbox


@pytest.fixture
def kfp_config(sb):
    return {"host": sb.kfp_host}


def held_secrets(app) -> set[str]:
    found: set[str] = set()
    for connection in app.connections:
        if connection.credentials is not None:
            found.update(connection.credentials.secrets())
    return found


async def test_no_secret_in_responses_logs_or_files(call, sb, jp_serverapp, caplog, capfd, jp_data_dir,
                                                     jp_root_dir, jp_runtime_dir):
    caplog.set_level(logging.DEBUG)
    app = jp_serverapp.extension_manager.extension_points["jupyter_kfp_connect"].app
    secrets = {PASSWORD}
    bodies: list[str] = []

    async def step(method, path, body=None):
        code, answer = await call(method, path, body)
        bodies.append(repr(answer))
        secrets.update(held_secrets(app))
        return code, answer

    login = {"auth": "dex", "username": EMAIL, "password": PASSWORD}
    await step("GET", "status")
    code, _ = await step("POST", "login", {**login, "password": PASSWORD + "-wrong"})
    assert code == 401
    secrets.add(PASSWORD + "-wrong")
    code, status = await step("POST", "login", {**login, "keep_signed_in": True})
    assert status["state"] == "connected" and status["namespace"] == NAMESPACE
    await step("GET", "namespaces")
    await step("GET", "check")
    sb.controls.expire_sessions()
    code, _ = await step("GET", "namespaces")  # renewed with the password held in memory
    assert code == 200
    await step("GET", "status")
    await step("POST", "logout")
    sb.controls.expire_sessions()

    # a pasted cookie, then a pasted token, a rejected token, and an expired session
    async with httpx.AsyncClient() as client:
        await dex_login(client, sb.kfp_host, EMAIL, PASSWORD)
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        secrets.update(c.value for c in client.cookies.jar if c.value)
    await step("POST", "login", {"auth": "cookie", "cookie": cookie})
    sb.controls.expire_sessions()
    code, _ = await step("GET", "check")
    token = sb.controls.tokens.issue(NAMESPACE)
    secrets.update({token, "not-a-valid-token-4242"})
    code, status = await step("POST", "login", {"auth": "token", "token": token, "namespace": NAMESPACE})
    assert status["state"] == "connected"
    code, _ = await step("POST", "login", {"auth": "token", "token": "not-a-valid-token-4242",
                                           "namespace": NAMESPACE})
    assert code == 401
    await step("GET", "status")

    secrets = {s for s in secrets if s}
    assert len(secrets) >= 5  # password, wrong password, cookies (x2 logins), tokens
    captured = capfd.readouterr()
    places = {
        "responses": "\n".join(bodies),
        "log records": caplog.text + "\n".join(str(r.args) for r in caplog.records),
        "server output": captured.out + captured.err,
    }
    for folder in (jp_data_dir, jp_root_dir, jp_runtime_dir):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_text(errors="replace")
    assert "kfp-connect" in places["log records"]  # the extension did log
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {where}"
