"""Fixtures for the pipelines endpoint tests: a Jupyter server with the extension pointed at a
sandbox (standalone or dex), signed in, and pipelines compiled by the real KFP compiler.
Import with ``from tests.handlers.pipelines_fixtures import *``."""

# No "from __future__ import annotations": kfp reads component annotations as real types.

import json
from typing import Any

import httpx
import pytest

from tests.connection.kfp_fixtures import (  # noqa: F401  (fixtures re-exported)
    NAMESPACE, PASSWORD, USER, clean_env, jp_server_config, kfp_config,
)

API = "/apis/v2beta1"
UPLOAD_PATH = f"{API}/pipelines/upload"


def _build_pipeline():
    from kfp import dsl

    @dsl.component(base_image="python:3.12")
    def scale(value: float, factor: float = 2.0) -> float:
        return value * factor

    @dsl.component(base_image="python:3.12")
    def report(label: str, value: float, verbose: bool):
        print(label, value, verbose)

    @dsl.pipeline(name="scaler", description="Scales a number twice and reports it.")
    def scaler(x: float = 1.5, label: str = "result", verbose: bool = True, rounds: int = 3,
               tags: list = ["a", "b"]):  # noqa: B006 - a pipeline default, never mutated
        first = scale(value=x)
        second = scale(value=first.output, factor=x)
        report(label=label, value=second.output, verbose=verbose).after(second)

    return scaler


@pytest.fixture(scope="session")
def scaler_yaml(tmp_path_factory) -> bytes:
    """A package compiled by ``kfp.compiler`` for this run (typed parameters, three tasks)."""
    from kfp import compiler

    path = tmp_path_factory.mktemp("compiled") / "scaler.yaml"
    compiler.Compiler().compile(_build_pipeline(), str(path))
    return path.read_bytes()


@pytest.fixture(params=["standalone", "dex"])
def kfp_mode(request) -> str:
    return request.param


@pytest.fixture
def sb(kfp_mode, sandbox_factory):
    return sandbox_factory(kfp_mode)


@pytest.fixture
def kfp_config(sb) -> dict[str, Any]:  # noqa: F811 - this module's servers point at the sandbox
    return {"host": sb.kfp_host, "ui_host": sb.url + "/pipeline/"}


@pytest.fixture
def namespace(sb) -> str:
    """The user's private namespace ('' on single-user KFP, where everything is shared)."""
    return NAMESPACE if sb.multi_user else ""


@pytest.fixture
def kfp(sb, namespace, jp_fetch):
    """``await kfp.connect()``; ``await kfp("GET", "pipelines", **query)``;
    ``await kfp.upload(data, filename, **fields)`` (multipart, as the browser sends it)."""
    return _Client(sb, namespace, jp_fetch)


class _Client:
    def __init__(self, sb, namespace, jp_fetch) -> None:
        self.sb, self.namespace, self._jp_fetch = sb, namespace, jp_fetch
        self._cookies: dict[str, str] = {}

    async def connect(self) -> None:
        if self.sb.mode == "standalone":
            code, body = await self("GET", "status")
        else:
            code, body = await self("POST", "login", {
                "auth": "dex", "username": USER, "password": PASSWORD})
        assert code == 200 and body["state"] == "connected", body
        if self.sb.multi_user:
            assert body["namespace"] == NAMESPACE, body

    async def __call__(self, method: str, path: str, body: Any = None, **params: Any):
        """(status, JSON body) of a kfp-connect request; never raises on 4xx/5xx."""
        kwargs: dict[str, Any] = {}
        if body is not None or method in ("POST", "PUT"):
            kwargs["body"] = json.dumps(body if body is not None else {})
        return await self._fetch(method, path, params=params or None, **kwargs)

    async def upload(self, data: bytes, filename: str, path: str = "pipelines",
                     **fields: str) -> tuple[int, Any]:
        """POST ``file`` as multipart/form-data, encoded by httpx like a browser's FormData."""
        body, content_type = multipart(data, filename, **fields)
        return await self._fetch("POST", path, body=body, headers={"Content-Type": content_type})

    async def _fetch(self, method: str, path: str, headers: dict[str, str] | None = None,
                     **kwargs: Any) -> tuple[int, Any]:
        """Sends the Jupyter user cookie back, as a browser does: without it every
        token-authenticated request is a new anonymous user (and a new KFP connection)."""
        headers = dict(headers or {})
        if self._cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self._cookies.items())
        response = await self._jp_fetch("kfp-connect", path, method=method, headers=headers,
                                        raise_error=False, **kwargs)
        for raw in response.headers.get_list("Set-Cookie"):
            name, _, rest = raw.partition("=")
            self._cookies[name.strip()] = rest.split(";", 1)[0]
        return response.code, json.loads(response.body or b"null")

    def uploads_sent(self) -> list[dict[str, Any]]:
        return [r for r in self.sb.controls.request_log()
                if r["method"] == "POST" and r["path"].endswith(("/pipelines/upload", "/upload_version"))]


def multipart(data: bytes, filename: str, **fields: str) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x/", data=fields, files={"file": (filename, data)})
    return request.read(), request.headers["Content-Type"]


def error_of(body: Any) -> dict[str, Any]:
    return body["error"]

