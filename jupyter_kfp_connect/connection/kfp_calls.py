"""The KFP calls a sign-in is proved with, and how KFP's own error answers read.

:class:`~.session.Connection` verifies new credentials on ``healthz`` and a namespaced list
call, and asks the dashboard's ``env-info`` for a namespace; :class:`~..kfp_api.KFPApi`
offers the same calls to the services. They live here, below the session, so the session
never imports the API layer above it. A connection is taken as :class:`KFPSession` (what
these calls use of it) for the same reason.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx

from .. import problems, untrusted_json
from ..errors import KFPConnectError, Problem

ENV_INFO_PATH = "api/workgroup/env-info"


class KFPSession(Protocol):
    """What these calls need of a :class:`~.session.Connection`."""

    @property
    def api_base(self) -> str: ...

    @property
    def multi_user(self) -> bool | None: ...

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...

    async def dashboard_request(self, method: str, path: str, *, optional: bool = False,
                                **kwargs: Any) -> httpx.Response | None: ...

    def rbac_problem(self, namespace: str, message: str) -> Problem: ...


def kfp_message(response: httpx.Response) -> str:
    """KFP's error sentence from either of its error body formats. A gRPC-gateway error's
    ``message`` is KFP's whole internal chain ("Failed to X. Check error stack: Failed to
    Y: ResourceNotFoundError: ..."); the sentence meant for the client is the external
    message in its ``google.rpc.Status`` detail, preferred when present."""
    try:
        body = untrusted_json.loads(response.content)
    except ValueError:  # not JSON, or nested too deeply to decode
        return response.text[:200].strip()
    if not isinstance(body, dict):
        return ""
    details = body.get("details")
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.Status") \
                    and detail.get("message"):
                return str(detail["message"])
    return str(body.get("message") or body.get("error_message") or body.get("error") or "")


_DENIED_NAMESPACE = re.compile(r"ResourceAttributes\{Namespace:([a-z0-9]([-a-z0-9]*[a-z0-9])?)[,}]")


def denied_namespace(message: str) -> str:
    """The namespace in KFP's SubjectAccessReview denial
    (``...&ResourceAttributes{Namespace:team-a,Verb:delete,...}``), or ''."""
    found = _DENIED_NAMESPACE.search(message or "")
    return found.group(1) if found else ""


def problem_for(connection: KFPSession, response: httpx.Response, namespace: str = "") -> Problem:
    """KFP's error answer as a Problem; a KFP 403 comes with the RoleBinding to fix it."""
    message = kfp_message(response)
    status = response.status_code
    if status == 403:
        # A call by id does not know the pipeline's namespace; KFP's denial names it.
        return connection.rbac_problem(namespace or denied_namespace(message), message)
    if status == 404:
        return Problem("not_found", message or "Not found.", status=404)
    if status == 409:
        return Problem("duplicate_name", message or "A resource with this name already exists.", status=409)
    if status == 400:
        return Problem("bad_request", message or "Kubeflow Pipelines refused the request.", status=400)
    return problems.kfp_error(status, message)


async def healthz(connection: KFPSession) -> dict[str, Any]:
    """``{multi_user, pipeline_store, ...}``; a 404 or a web page means the wrong base path
    (behind Kubeflow's gateway the root is the central dashboard, which answers any GET it
    does not route with its index.html, 200)."""
    alternatives = problems.path_alternatives(connection.api_base)
    suggestion = alternatives[0] if alternatives else ""
    try:
        response = await connection.request("GET", "healthz")
    except KFPConnectError as err:
        if err.code == "not_json" and "html" in str(err.problem.details.get("content_type", "")).lower():
            raise KFPConnectError.from_problem(problems.wrong_path(
                connection.api_base, suggestion, "it answered with a web page, not KFP's API")) from None
        raise
    if response.status_code == 404:
        raise KFPConnectError.from_problem(problems.wrong_path(connection.api_base, suggestion))
    if response.status_code >= 400:
        raise KFPConnectError.from_problem(problem_for(connection, response))
    try:
        data = untrusted_json.loads(response.content)
    except ValueError:  # a 200 that is not JSON (or too deep to decode) is not KFP's healthz
        raise KFPConnectError.from_problem(problems.not_json(
            str(response.request.url), response.status_code,
            response.headers.get("content-type", ""))) from None
    return data if isinstance(data, dict) else {}


async def access_problem(connection: KFPSession, namespace: str) -> Problem | None:
    """Can we list pipelines in ``namespace``? A KFP 403 is returned (the connection still
    works elsewhere); a 401 or Istio's denial is raised by the connection."""
    if not namespace or not connection.multi_user:
        return None
    response = await connection.request("GET", "pipelines", params={"namespace": namespace, "page_size": 1})
    if response.status_code in (400, 403):
        return problem_for(connection, response, namespace) if response.status_code == 403 else None
    if response.status_code >= 400:
        return problem_for(connection, response, namespace)
    return None


async def env_info(connection: KFPSession, *, optional: bool = False) -> dict[str, Any] | None:
    """The Kubeflow dashboard's ``env-info`` (user and namespaces), or None when there is
    no dashboard (standalone KFP, a port-forward, another app at the gateway's root) or it
    fails (its profile service down: a JSON ``{"error"}``). ``optional`` (at sign-in): nothing
    the dashboard answers or fails with reaches the connection's state."""
    try:
        response = await connection.dashboard_request("GET", ENV_INFO_PATH, optional=optional)
    except KFPConnectError as err:
        if err.code in ("session_expired", "istio_denied", "unreachable", "tls_error", "token_rejected"):
            raise
        return None
    if response is None or response.status_code != 200:
        return None
    try:
        data = untrusted_json.loads(response.content)
    except ValueError:  # not JSON, or nested too deeply to decode
        return None
    return data if isinstance(data, dict) else None
