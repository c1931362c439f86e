"""Fixtures and helpers for connection tests: a Jupyter server with the extension configured
per test (``kfp_config``) and a clean environment (no cluster, no KFP variables) unless a test
says otherwise. Import with ``from tests.connection.kfp_fixtures import *``."""

from __future__ import annotations

import json
from typing import Any

import pytest

KFP_ENV = ("KUBERNETES_SERVICE_HOST", "KF_PIPELINES_ENDPOINT", "KF_PIPELINES_SA_TOKEN_PATH",
           "KF_PIPELINES_UI_ENDPOINT")
USER, PASSWORD, NAMESPACE = "user@example.com", "12341234", "kubeflow-user-example-com"


@pytest.fixture
def clean_env(monkeypatch):
    """Outside a cluster, with no KFP environment, whatever machine runs the tests."""
    for name in KFP_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def kfp_config() -> dict[str, Any]:
    """``c.KFPConnect`` values for the test's server; override in a module or test."""
    return {}


@pytest.fixture
def kfp_extra() -> dict[str, Any]:
    """More ``c.KFPConnect`` values; ``@pytest.mark.parametrize("kfp_extra", [{...}])`` sets them."""
    return {}


@pytest.fixture
def jp_server_config(jp_server_config, kfp_config, clean_env):
    return {**jp_server_config, "KFPConnect": dict(kfp_config)}


@pytest.fixture
def in_cluster(tmp_path, monkeypatch, clean_env):
    """A pod's view: KUBERNETES_SERVICE_HOST set, namespace file, token path (not yet written).
    The kubernetes API itself is absent, as it is on these machines."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    ns_file = tmp_path / "sa" / "namespace"
    ns_file.parent.mkdir()
    ns_file.write_text(NAMESPACE)
    return {"token_path": str(tmp_path / "kfp" / "token"), "namespace_path": str(ns_file)}


@pytest.fixture
def call(jp_fetch):
    """``await call("GET", "status")`` -> (status code, JSON body), never raising on 4xx/5xx.

    Sends Jupyter's user cookie back as a browser does: without it every token-authenticated
    request is a new anonymous Jupyter user, and so a new KFP connection."""
    jar: dict[str, str] = {}

    async def _call(method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None or method in ("POST", "PUT"):
            kwargs["body"] = json.dumps(body if body is not None else {})
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        response = await jp_fetch("kfp-connect", path, params=params or None, headers=headers, **kwargs)
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        return response.code, json.loads(response.body or b"null")

    return _call


def error_code(body: Any) -> str:
    return body["error"]["code"]


@pytest.fixture
def tracebacks():
    """Log records with a traceback (what Tornado logs for a 500) from the server's loggers:
    a test of a bad answer wants none."""
    import logging

    found: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info:
                found.append(record)

    handler = _Keep()
    names = ("tornado.application", "tornado.general", "jupyter_kfp_connect")
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
    yield found
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture(scope="session")
def tls_ca():
    """A throwaway certificate authority (trustme) and its PEM file."""
    import trustme

    return trustme.CA()


def serve_in_thread(app: Any, ssl_options: Any = None) -> tuple[int, Any]:
    """Serve a tornado ``app`` on a free loopback port from its own thread and event loop
    (like the sandbox), so the test's loop stays free. Returns the port and a stop function."""
    import asyncio
    import threading

    import tornado.httpserver
    import tornado.netutil

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = tornado.httpserver.HTTPServer(app, ssl_options=ssl_options)
        server.add_sockets(sockets)
        loop.call_soon(ready.set)
        loop.run_forever()
        server.stop()
        # as a process that exits would: open keep-alive connections are closed too
        loop.run_until_complete(server.close_all_connections())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return port, stop


@pytest.fixture
def tls_front(tls_ca, tmp_path):
    """``tls_front(sandbox)`` -> https URL of the same sandbox served over TLS (a certificate
    for 127.0.0.1 signed by ``tls_ca``), as a gateway with a private CA would be."""
    import ssl

    stops = []

    def start(sandbox) -> str:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_ca.issue_cert("127.0.0.1").configure_cert(context)
        port, stop = serve_in_thread(sandbox.make_app(), ssl_options=context)
        stops.append(stop)
        return f"https://127.0.0.1:{port}"

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def ca_file(tls_ca, tmp_path) -> str:
    path = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return str(path)
