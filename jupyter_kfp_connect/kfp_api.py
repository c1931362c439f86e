"""Async calls to KFP's v2beta1 REST API over a user's :class:`Connection`.

:class:`~jupyter_kfp_connect.connection.session.Connection` handles what stands in front
of KFP (sessions, tokens, Istio); this module reads KFP's own answers and turns its two
error formats (gRPC-gateway ``{"code", "message"}`` and upload ``{"error_message"}``) into
a :class:`~jupyter_kfp_connect.errors.Problem`. Add typed calls here (one small method each).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx

from .connection import diagnose
from .errors import KFPConnectError, Problem

if TYPE_CHECKING:
    from .connection.session import Connection

ENV_INFO_PATH = "api/workgroup/env-info"


def kfp_message(response: httpx.Response) -> str:
    """KFP's error sentence from either of its error body formats."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_message") or body.get("error") or "")
    return ""


_DENIED_NAMESPACE = re.compile(r"ResourceAttributes\{Namespace:([a-z0-9]([-a-z0-9]*[a-z0-9])?)[,}]")


def denied_namespace(message: str) -> str:
    """The namespace in KFP's SubjectAccessReview denial
    (``...&ResourceAttributes{Namespace:team-a,Verb:delete,...}``), or ''."""
    found = _DENIED_NAMESPACE.search(message or "")
    return found.group(1) if found else ""


class KFPApi:
    """Typed async KFP calls for one connection (cheap to build: one per request is fine)."""

    def __init__(self, connection: "Connection") -> None:
        self.connection = connection

    # --- generic plumbing ----------------------------------------------------------------------
    def problem_for(self, response: httpx.Response, namespace: str = "") -> Problem:
        """KFP's error answer as a Problem; a KFP 403 comes with the RoleBinding to fix it."""
        message = kfp_message(response)
        status = response.status_code
        if status == 403:
            # A call by id does not know the pipeline's namespace; KFP's denial names it.
            return self.connection.rbac_problem(namespace or denied_namespace(message), message)
        if status == 404:
            return Problem("not_found", message or "Not found.", status=404)
        if status == 409:
            return Problem("duplicate_name", message or "A resource with this name already exists.", status=409)
        if status == 400:
            return Problem("bad_request", message or "Kubeflow Pipelines refused the request.", status=400)
        return diagnose.kfp_error(status, message)

    async def call(self, method: str, path: str, *, namespace: str = "", **kwargs: Any) -> Any:
        """Send, raise a Problem on a KFP error, return the decoded JSON (``{}`` when empty)."""
        response = await self.connection.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise KFPConnectError.from_problem(self.problem_for(response, namespace))
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise KFPConnectError.from_problem(diagnose.not_json(
                str(response.request.url), response.status_code, response.headers.get("content-type", ""))) from None

    async def get(self, path: str, *, params: dict[str, Any] | None = None, namespace: str = "") -> Any:
        return await self.call("GET", path, params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                               namespace=namespace)

    # --- health and identity -------------------------------------------------------------------
    async def healthz(self) -> dict[str, Any]:
        """``{multi_user, pipeline_store, ...}``; a 404 means the wrong base path."""
        response = await self.connection.request("GET", "healthz")
        if response.status_code == 404:
            alternatives = diagnose.path_alternatives(self.connection.api_base)
            raise KFPConnectError.from_problem(
                diagnose.wrong_path(self.connection.api_base, alternatives[0] if alternatives else ""))
        if response.status_code >= 400:
            raise KFPConnectError.from_problem(self.problem_for(response))
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def access_problem(self, namespace: str) -> Problem | None:
        """Can we list pipelines in ``namespace``? A KFP 403 is returned (the connection still
        works elsewhere); a 401 or Istio's denial is raised by the connection."""
        if not namespace or not self.connection.multi_user:
            return None
        response = await self.connection.request("GET", "pipelines", params={"namespace": namespace, "page_size": 1})
        if response.status_code in (400, 403):
            return self.problem_for(response, namespace) if response.status_code == 403 else None
        if response.status_code >= 400:
            return self.problem_for(response, namespace)
        return None

    async def env_info(self) -> dict[str, Any] | None:
        """The Kubeflow dashboard's ``env-info`` (user and namespaces), or None when there is
        no dashboard (standalone KFP, a port-forward) or it does not answer JSON."""
        try:
            response = await self.connection.dashboard_request("GET", ENV_INFO_PATH)
        except KFPConnectError as err:
            if err.code in ("session_expired", "istio_denied", "unreachable", "tls_error", "token_rejected"):
                raise
            return None
        if response.status_code != 200:
            return None
        try:
            data = response.json()
        except (ValueError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

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
