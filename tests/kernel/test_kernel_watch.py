"""Kernels watch their view instead of re-asking for headers every half second.

``kernel/connection`` with ``If-None-Match`` + ``Prefer: wait`` is held until the view changes;
a kernel keeps one such watch open while it uses KFP, so its calls make no round trip to the
server for headers and still see a rotated token file or a panel sign-in within
``HEADER_MAX_AGE``. Counted on the server (every ``kernel/connection`` request the handler
serves) and in the sandbox (what KFP saw), not by the kernel's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path

import pytest

from jupyter_kfp_connect.handlers import kernel as kernel_handlers
from jupyter_kfp_connect.kernel import SECRET_HEADER
from jupyter_kfp_connect.kernel.client import HEADER_MAX_AGE
from tests.kernel.conftest import NAMESPACE, identities, kfp_app

SERVICE_ACCOUNT = f"system:serviceaccount:{NAMESPACE}:default-editor"
LIST = f"kfp_client.list_pipelines(namespace={NAMESPACE!r}).total_size"
NO_TOKEN = {"Authorization": ""}  # jp_fetch adds the server token unless told otherwise


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory("in-cluster")


@pytest.fixture
def token_file(sb, in_cluster) -> Path:
    return sb.controls.tokens.write_token(in_cluster["token_path"], NAMESPACE)


@pytest.fixture
def kfp_config(sb, in_cluster, token_file):
    return {"host": sb.kfp_host, **in_cluster}


@pytest.fixture
def served(monkeypatch):
    """Every ``kernel/connection`` request the server answers: ``"watch"`` or ``"fetch"``."""
    seen: list[str] = []
    get = kernel_handlers.KernelConnectionHandler.get

    async def counting(self):
        seen.append("watch" if self.request.headers.get("Prefer") else "fetch")
        return await get(self)

    monkeypatch.setattr(kernel_handlers.KernelConnectionHandler, "get", counting)
    return seen


@pytest.fixture
def connection(jp_fetch, jp_serverapp):
    """``await connection(headers) -> (code, headers, body)`` as a kernel of this server."""
    secret = {**NO_TOKEN, SECRET_HEADER: kfp_app(jp_serverapp).kernel_secret}

    async def _get(headers: dict | None = None, timeout: float = 60):
        response = await jp_fetch("kfp-connect", "kernel/connection", headers={**secret, **(headers or {})},
                                  raise_error=False, request_timeout=timeout)
        return response.code, response.headers, json.loads(response.body or b"null")

    return _get


async def watching(served: list[str]) -> None:
    """Wait (a few seconds at most) until the kernel's watch reached the server."""
    for _ in range(50):
        if "watch" in served:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no watch: {served}")


def bearer(view: dict) -> str:
    return view["headers"]["Authorization"]


async def test_a_watch_waits_while_nothing_changes_and_answers_a_rotation_at_once(sb, token_file, connection):
    code, headers, view = await connection()
    assert code == 200 and view["connected"], view
    etag = headers["Etag"]
    # The tag is keyed, not tornado's hash of a body that carries the token.
    assert etag.strip('"') != hashlib.sha1(json.dumps(view, separators=(",", ":")).encode()).hexdigest()
    again = await connection()
    assert again[1]["Etag"] == etag  # same view, same tag

    # Nothing changes: held for the wait, then 304 without a body.
    begin = time.monotonic()
    code, _, body = await connection({"If-None-Match": etag, "Prefer": "wait=0.6"})
    assert code == 304 and body is None
    assert time.monotonic() - begin >= 0.55
    # Without Prefer, the same condition answers at once.
    begin = time.monotonic()
    code, _, _ = await connection({"If-None-Match": etag})
    assert code == 304 and time.monotonic() - begin < 5  # not held (bounds leave room for a loaded CI)

    # The kubelet rotates the token while a watch is held: the watch answers with the new one.
    watch = asyncio.ensure_future(connection({"If-None-Match": etag, "Prefer": "wait=20"}))
    await asyncio.sleep(0.3)
    assert not watch.done()
    sb.controls.tokens.rotate(token_file)
    rotated = time.monotonic()
    code, headers, view2 = await watch
    assert code == 200 and headers["Etag"] != etag
    assert bearer(view2) == f"Bearer {token_file.read_text().strip()}" != bearer(view)
    assert time.monotonic() - rotated < 3  # WATCH_POLL (0.25 s) and the way back; not the 20 s wait

    # A tag that is no longer current is answered at once, with the current view.
    begin = time.monotonic()
    code, _, view3 = await connection({"If-None-Match": etag, "Prefer": "wait=20"})
    assert code == 200 and bearer(view3) == bearer(view2) and time.monotonic() - begin < 5


async def test_a_sign_out_in_the_panel_ends_a_watch_at_once(sb, connection, call, monkeypatch):
    monkeypatch.setattr(kernel_handlers, "WATCH_POLL", 5.0)  # only the connection's event can be this quick
    code, headers, view = await connection()
    assert view["connected"]
    watch = asyncio.ensure_future(connection({"If-None-Match": headers["Etag"], "Prefer": "wait=20"}))
    await asyncio.sleep(0.3)
    code, status = await call("POST", "logout")
    assert code == 200 and status["state"] == "signed_out"
    signed_out = time.monotonic()
    code, _, view = await watch
    assert code == 200 and view["connected"] is False and view["headers"] == {}
    assert time.monotonic() - signed_out < 2.5  # the event woke it: a poll would take 5 s


def test_a_watch_wait_is_bounded():
    assert kernel_handlers.preferred_wait("wait=25") == 25
    assert kernel_handlers.preferred_wait("respond-async, wait=3600") == kernel_handlers.WATCH_MAX_WAIT
    assert kernel_handlers.preferred_wait("handling=lenient") == 0
    assert kernel_handlers.preferred_wait("") == 0


async def test_kfp_calls_in_a_kernel_make_no_header_round_trips_and_follow_a_rotation(
        sb, token_file, start_kernel, served):
    sb.controls.seed(NAMESPACE, 3)
    kernel = await start_kernel()
    assert await kernel.value(LIST) == "3"  # builds kfp_client (one fetch) and starts the watch
    await watching(served)
    assert served.count("fetch") == 1, served

    # 12 calls spread over ~2.4 s, almost five times HEADER_MAX_AGE: not one more fetch.
    spread = f"""
import time
for _ in range(12):
    assert {LIST} == 3
    time.sleep(0.15)
"""
    await kernel.run(spread)
    assert served.count("fetch") == 1, served

    # The kubelet rotates the token (the old one stops working): the watch brings the new one
    # within HEADER_MAX_AGE, so the next call needs no retry and no fetch.
    sb.controls.tokens.rotate(token_file)
    await asyncio.sleep(HEADER_MAX_AGE + 0.5)  # margin for a loaded machine; the watch would wait 25 s
    before = len(sb.controls.request_log())
    assert await kernel.value(LIST) == "3"
    assert [e["status"] for e in sb.controls.request_log()[before:]] == [200]
    assert identities(sb)[-1] == SERVICE_ACCOUNT
    assert served.count("fetch") == 1, served

    # The same client with the watch off (what kernels did before): it asks again and again.
    unwatched = f"""
import time
from jupyter_kfp_connect.kernel.client import ServerLink, connect_kfp_client, server_address
_link = ServerLink(server_address(), watch=False)
_client = connect_kfp_client(_link)
for _ in range(12):
    _client.list_pipelines(namespace={NAMESPACE!r})
    time.sleep(0.15)
"""
    await kernel.run(unwatched)
    assert served.count("fetch") >= 1 + 3, served  # its first fetch, then one per 0.5 s


async def test_a_kernel_that_stops_watching_asks_again(sb, token_file, start_kernel, served):
    """A failed or ended watch falls back to max_age: never a stale view for longer."""
    sb.controls.seed(NAMESPACE, 1)
    kernel = await start_kernel()
    await kernel.run("from jupyter_kfp_connect.kernel import client as _c\n"
                     "from jupyter_kfp_connect.kernel.session import shared_link\n"
                     "_c.WATCH_IDLE = 0.5")
    assert await kernel.value(LIST) == "1"
    await watching(served)
    assert served.count("fetch") == 1, served
    # Idle longer than WATCH_IDLE: the watch ends at its next turn (a rotation forces one).
    await asyncio.sleep(0.6)
    sb.controls.tokens.rotate(token_file)
    await asyncio.sleep(HEADER_MAX_AGE + 0.3)
    assert await kernel.value("shared_link()._watching") == "('', 0.0)"
    before = len(sb.controls.request_log())
    assert await kernel.value(LIST) == "1"
    assert [e["status"] for e in sb.controls.request_log()[before:]] == [200]
    assert served.count("fetch") == 2, served  # the call asked, and watches again
