"""Async calls to KFP's v2beta1 REST API over a user's :class:`Connection`.

:class:`~jupyter_kfp_connect.connection.session.Connection` handles what stands in front
of KFP (sessions, tokens, Istio); this module reads KFP's own answers and turns its two
error formats (gRPC-gateway ``{"code", "message"}`` and upload ``{"error_message"}``) into
a :class:`~jupyter_kfp_connect.errors.Problem` (with :mod:`.connection.kfp_calls`, which holds
the calls the session itself proves a sign-in with). Add typed calls here (one small method each).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from . import kfp_shapes, problems, untrusted_json
from .connection import kfp_calls
from .errors import KFPConnectError, Problem

#: Answers up to this size are parsed on the event loop (a thread hop costs more than that).
INLINE_JSON_BYTES = 256 * 1024

if TYPE_CHECKING:
    from .connection.session import Connection


class KFPApi:
    """Typed async KFP calls for one connection (cheap to build: one per request is fine)."""

    def __init__(self, connection: "Connection") -> None:
        self.connection = connection

    # --- generic plumbing ----------------------------------------------------------------------
    def problem_for(self, response: httpx.Response, namespace: str = "") -> Problem:
        """KFP's error answer as a Problem; a KFP 403 comes with the RoleBinding to fix it."""
        return kfp_calls.problem_for(self.connection, response, namespace)

    async def call(self, method: str, path: str, *, namespace: str = "", **kwargs: Any) -> Any:
        """Send, raise a Problem on a KFP error, return the decoded JSON (``{}`` when empty),
        checked against the shape KFP's API gives for the call (:mod:`.kfp_shapes`)."""
        response = await self.connection.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise KFPConnectError.from_problem(self.problem_for(response, namespace))
        if not response.content:
            return {}
        try:
            if len(response.content) > INLINE_JSON_BYTES:  # a big answer is parsed off the loop
                body = await asyncio.to_thread(untrusted_json.loads, response.content)
            else:
                body = untrusted_json.loads(response.content)
        except ValueError:  # not JSON, or nested too deeply to decode
            raise KFPConnectError.from_problem(problems.not_json(
                str(response.request.url), response.status_code, response.headers.get("content-type", ""))) from None
        return kfp_shapes.check(method, path.split("?", 1)[0].strip("/"), body)

    async def get(self, path: str, *, params: dict[str, Any] | None = None, namespace: str = "") -> Any:
        return await self.call("GET", path, params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                               namespace=namespace)

    # --- health and identity -------------------------------------------------------------------
    async def healthz(self) -> dict[str, Any]:
        """``{multi_user, pipeline_store, ...}``; a 404 means the wrong base path."""
        return await kfp_calls.healthz(self.connection)

    async def access_problem(self, namespace: str) -> Problem | None:
        """Can we list pipelines in ``namespace``? (see :func:`.connection.kfp_calls.access_problem`)"""
        return await kfp_calls.access_problem(self.connection, namespace)

    async def session_probe(self) -> None:
        """The cheapest authenticated call (one pipeline, current namespace): a 401 turns the
        connection to ``expired`` (or renews it); anything else is ignored here."""
        conn = self.connection
        params: dict[str, Any] = {"page_size": 1}
        if conn.multi_user and conn.namespace:
            params["namespace"] = conn.namespace
        await conn.request("GET", "pipelines", params=params)

    async def env_info(self) -> dict[str, Any] | None:
        """The Kubeflow dashboard's ``env-info``, or None (see :func:`.connection.kfp_calls.env_info`)."""
        return await kfp_calls.env_info(self.connection)

    async def namespaces(self) -> dict[str, Any]:
        """What the namespace picker offers: ``{namespaces: [{name, role}], current, source,
        user, manual_entry}``; typing another name is always allowed."""
        conn = self.connection
        found: list[dict[str, str]] = []
        source = "none"
        user = conn.username
        if conn.config.in_cluster:
            pod_ns = conn.pod_namespace()
            if pod_ns:
                found.append({"name": pod_ns, "role": "pod"})
                source = "pod"
        elif conn.multi_user and conn.credentials is not None and conn.credentials.kind in ("dex", "cookie"):
            info = await self.env_info()
            if info is not None:
                source = "dashboard"
                user = user or str(info.get("user") or "")
                for entry in info.get("namespaces", []) or []:
                    name = entry.get("namespace") if isinstance(entry, dict) else None
                    if name:
                        found.append({"name": str(name), "role": str(entry.get("role") or "")})
        if conn.config.namespace and all(ns["name"] != conn.config.namespace for ns in found):
            found.append({"name": conn.config.namespace, "role": "config"})
            source = source if source != "none" else "config"
        if conn.namespace and all(ns["name"] != conn.namespace for ns in found):
            found.append({"name": conn.namespace, "role": "chosen"})
        return {"namespaces": found, "current": conn.namespace, "source": source, "user": user,
                "multi_user": conn.multi_user, "manual_entry": True}
