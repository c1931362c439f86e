"""The fast transport under KFP calls: what goes wrong is named by its cause (a refused
port is not a timeout, a bad certificate is a TLS problem), and no cookie is kept."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import tornado.web

from jupyter_kfp_connect import problems
from jupyter_kfp_connect.connection.config import resolve
from jupyter_kfp_connect.connection.session import Connection
from jupyter_kfp_connect.connection.transport import KFPTransport
from jupyter_kfp_connect.errors import KFPConnectError
from tests.connection.kfp_fixtures import *  # noqa: F401,F403
from tests.connection.kfp_fixtures import NAMESPACE, serve_in_thread
from tests.procfs import sockets_to


async def _signed_in(host: str, token: str, **config) -> Connection:
    conn = Connection("tester", resolve({"host": host, **config}, {}))
    await conn.login(auth="token", token=token, namespace=NAMESPACE)
    assert conn.state == "connected"
    return conn


async def test_kfp_going_away_after_sign_in_is_connection_refused(sandbox_factory):
    sb = sandbox_factory("dex")
    port, stop = serve_in_thread(sb.make_app())
    conn = await _signed_in(f"http://127.0.0.1:{port}/pipeline", sb.controls.tokens.issue(NAMESPACE))
    try:
        stop()  # nothing listens on the port any more
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert err.value.code == "unreachable"
        assert "connection refused" in err.value.problem.message, err.value.problem.message
    finally:
        await conn.close()


async def test_slow_kfp_is_a_timeout(sandbox_factory):
    sb = sandbox_factory("dex")
    conn = await _signed_in(sb.kfp_host, sb.controls.tokens.issue(NAMESPACE), request_timeout=0.5)
    try:
        sb.controls.latency(1.5)
        with pytest.raises(KFPConnectError) as err:
            await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert err.value.code == "unreachable"
        assert "timed out" in err.value.problem.message, err.value.problem.message
    finally:
        sb.controls.latency(0)
        await conn.close()


async def test_untrusted_certificate_is_a_tls_failure(sandbox_factory, tls_front):
    url = tls_front(sandbox_factory("dex")) + "/pipeline/apis/v2beta1/healthz"
    transport = KFPTransport(verify=True)
    try:
        with pytest.raises(httpx.ConnectError) as err:
            await transport.handle_async_request(httpx.Request("GET", url))
        assert problems.transport_problem(url, err.value).code == "tls_error"
    finally:
        await transport.aclose()


async def test_private_ca_works_through_the_fast_transport(sandbox_factory, tls_front, ca_file):
    sb = sandbox_factory("dex")
    sb.controls.seed(NAMESPACE, 3)
    conn = await _signed_in(tls_front(sb) + "/pipeline", sb.controls.tokens.issue(NAMESPACE), ca_cert=ca_file)
    try:
        response = await conn.request("GET", "pipelines", params={"namespace": NAMESPACE})
        assert response.status_code == 200 and len(response.json()["pipelines"]) == 3
    finally:
        await conn.close()


class _CookieSetter(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_cookie("gateway_session", "secret-value")
        self.write({"cookie": self.request.headers.get("Cookie", "")})


async def test_a_set_cookie_is_never_sent_back():
    # Credentials travel only as the headers Connection sets: a sign-out must leave nothing.
    # (localhost, not 127.0.0.1: aiohttp's default jar ignores cookies from IP addresses)
    port, stop = serve_in_thread(tornado.web.Application([(r"/.*", _CookieSetter)]))
    transport = KFPTransport()
    try:
        for _ in range(2):
            response = await transport.handle_async_request(httpx.Request("GET", f"http://localhost:{port}/x"))
            await response.aread()
            assert "gateway_session" in response.headers.get("set-cookie", "")
            assert response.json() == {"cookie": ""}
    finally:
        await transport.aclose()
        stop()


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="reads Linux's /proc")
async def test_detection_keeps_no_connection_open(sandbox_factory):
    # httpcore closes an idle connection only when its pool is next used: a detection client
    # kept per connection held a socket to the gateway for the server's whole life (seen by
    # benchmarks/bench_load.py as a descriptor that never came back).
    sb = sandbox_factory("dex")
    port = urlsplit(sb.kfp_host).port
    conn = Connection("tester", resolve({"host": sb.kfp_host}, {}))
    try:
        await conn.start()  # detection: probes of the host and its login front
        assert conn.plan is not None and conn.plan.front, conn.plan
        assert conn.state == "signed_out"
        await conn.probe()  # the same for the check's and a pasted cookie's probe
        assert sockets_to(port) == 0
    finally:
        await conn.close()
