"""Every route asks the server's Authorizer: one that denies the extension's resource gets a 403
on each route of ``openapi.yaml`` (the kernel routes with a kernel's secret too), and nothing
reaches KFP."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any, ClassVar

import pytest
import yaml
from jupyter_server.auth import Authorizer

from jupyter_kfp_connect.handlers import all_routes
from jupyter_kfp_connect.handlers.base import AUTH_RESOURCE
from jupyter_kfp_connect.kernel import SECRET_HEADER
from tests.connection.kfp_fixtures import *
from tests.kernel.conftest import kfp_app

METHODS = ("get", "post", "put", "delete", "patch")


class DenyKFPConnect(Authorizer):
    """Says no to the extension's resource (``allow`` turns it back on), yes to the rest."""

    allow: ClassVar[bool] = False
    asked: ClassVar[list[tuple[str, str, str]]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        if resource != AUTH_RESOURCE:
            return True
        DenyKFPConnect.asked.append((handler.request.method, handler.request.path, action))
        return DenyKFPConnect.allow


@pytest.fixture
def kfp_config(sandbox):
    return {"host": sandbox.kfp_host}


@pytest.fixture
def jp_server_config(jp_server_config, kfp_config, clean_env):
    DenyKFPConnect.allow, DenyKFPConnect.asked = False, []
    serverapp = {**jp_server_config["ServerApp"], "authorizer_class": f"{__name__}.DenyKFPConnect"}
    return {**jp_server_config, "ServerApp": serverapp, "KFPConnect": dict(kfp_config)}


def documented_requests() -> list[tuple[str, str]]:
    """``(METHOD, path)`` for every operation of openapi.yaml; ``kernel/api/{path}`` stands for
    every other route again under it, so it is expanded to each of them."""
    spec = yaml.safe_load(resources.files("jupyter_kfp_connect").joinpath("openapi.yaml").read_text())
    plain = []
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            values = {"path": "{path}"}  # expanded below
            for parameter in operations.get("parameters", []) + operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] != "path":
                    schema = parameter.get("schema", {})
                    values[parameter["name"]] = (schema.get("enum") or [f"{parameter['name']}-1"])[0]
            plain.append((method.upper(), template.lstrip("/").format(**values)))
    expanded = []
    for method, path in plain:
        if path == "kernel/api/{path}":
            expanded += [(m, f"kernel/api/{p}") for m, p in plain if not p.startswith("kernel/")]
        else:
            expanded.append((method, path))
    return expanded


def test_the_documented_requests_cover_every_route():
    requests = documented_requests()
    for pattern, handler in all_routes():
        verbs = {m.upper() for m in METHODS if m in handler.__dict__ or any(
            m in base.__dict__ for base in handler.__mro__ if base.__module__.startswith("jupyter_kfp_connect"))}
        for verb in verbs:
            assert any(m == verb and re.fullmatch(pattern, p) for m, p in requests), (verb, pattern)


async def test_a_denying_authorizer_closes_every_route_and_nothing_reaches_kfp(
        jp_fetch, jp_serverapp, sandbox):
    secret = kfp_app(jp_serverapp).kernel_secret
    as_kernel = {"Authorization": "", SECRET_HEADER: secret}  # no server token: the secret alone
    sandbox.controls.clear_log()
    answered = []
    for method, path in documented_requests():
        # kernel/connection answers kernels only; kernel/api/* both; the rest (kernel/inject is
        # the front end's) the browser's credential, here the server token jp_fetch sends.
        credentials = [as_kernel] if path == "kernel/connection" else [{}]
        if path.startswith("kernel/api/"):
            credentials.append(as_kernel)
        for headers in credentials:
            body = json.dumps({}) if method in ("POST", "PUT", "PATCH") else None
            response = await jp_fetch("kfp-connect", path, method=method, headers=dict(headers),
                                      body=body, raise_error=False, allow_nonstandard_methods=True)
            answered.append((method, path, response.code))
            assert response.code == 403, (method, path, headers.keys(), response.body[:300])
            assert json.loads(response.body)["error"]["status"] == 403
    assert len(answered) > 30
    # Each was refused by the Authorizer itself (not by a missing credential), and KFP saw nothing.
    asked = [(m, p.split("kfp-connect/", 1)[1]) for m, p, _ in DenyKFPConnect.asked]
    assert asked == [(m, p) for m, p, _ in answered], set(asked) ^ {(m, p) for m, p, _ in answered}
    assert sandbox.controls.request_log() == []

    # The same kernel requests once allowed: they are answered, and reach KFP (so the checks
    # above could fail).
    DenyKFPConnect.allow = True
    for path in ("kernel/connection", "kernel/api/pipelines"):
        response = await jp_fetch("kfp-connect", path, headers=as_kernel, raise_error=False)
        assert response.code == 200, response.body
    assert "/apis/v2beta1/pipelines" in [e["path"] for e in sandbox.controls.request_log()]
