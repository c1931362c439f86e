"""Decide how to reach KFP: in a cluster with a mounted token, or by asking the endpoint.

``auto`` detection, in order (every step is recorded in ``AuthPlan.steps`` so the panel can
show the user what was found):

1. ``KUBERNETES_SERVICE_HOST`` set: we run in a pod. Use the projected pipelines token
   (missing: ``no_token_mounted`` with the PodDefault that mounts it).
2. Otherwise probe ``{host}/apis/v2beta1/healthz`` without following redirects:
   JSON means no login (standalone, port-forward); 401 ``{}``, a 403 sign-in page or a
   redirect means a gateway wants a Kubeflow login (oauth2-proxy or oidc-authservice in
   front of Dex); a KFP 401 means KFP itself wants a bearer token.
3. A 404 (or a page instead of JSON) tries ``/pipeline`` <-> ``/pipelines``; a TLS or
   protocol failure tries the other scheme, so the fix can name the URL that works.
4. A Kubeflow login front at a bare origin (``https://kubeflow.example.com``) means KFP is
   under ``/pipeline``: Kubeflow's gateway mounts the KFP UI's API proxy there and the central
   dashboard at ``/`` (which answers ``/apis/...`` with its own page once signed in). The
   probe returns the corrected host (KFP's UI server answers under ``/pipeline`` too, so the
   correction is safe wherever oauth2-proxy stands in front of it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import problems, untrusted_json
from ..errors import Problem
from .config import ConnectionConfig
from .credentials import TokenFile

log = logging.getLogger(__name__)

HEALTHZ = "/apis/v2beta1/healthz"

# Verdicts of :func:`classify`
JSON = "json"                    # a JSON answer (KFP's, success or error)
KFP_UNAUTHENTICATED = "kfp_401"  # KFP itself: no identity (gRPC code 16)
LOGIN_REDIRECT = "login_redirect"  # 3xx to Dex / oauth2-proxy / authservice
REDIRECT = "redirect"            # 3xx to the same resource elsewhere (http -> https, another prefix)
OAUTH2_401 = "oauth2_401"        # oauth2-proxy on an API route: 401 with body {}
SIGNIN_PAGE = "signin_page"      # oauth2-proxy on other routes: 403 HTML sign-in page
ISTIO_DENIED = "istio_denied"    # Istio's bare "RBAC: access denied"
HTML = "html"                    # a page where JSON was expected (often a login page)
OTHER = "other"

LOGIN_VERDICTS = (LOGIN_REDIRECT, OAUTH2_401, SIGNIN_PAGE)


def _json(response: httpx.Response) -> Any:
    """The body as JSON, or None: whatever a gateway sends (a page, a 200 KB deep nest)."""
    try:
        return untrusted_json.loads(response.content or b"null")
    except ValueError:
        return None


def classify(response: httpx.Response) -> str:
    """What kind of answer this is, independent of what was asked."""
    ctype = response.headers.get("content-type", "").lower()
    body = response.content.strip()
    if response.is_redirect and response.headers.get("location"):
        return REDIRECT if _same_resource(response) else LOGIN_REDIRECT
    if response.status_code == 403 and b"RBAC: access denied" in body[:200] and "html" not in ctype:
        return ISTIO_DENIED
    if response.status_code == 401:
        data = _json(response)
        if isinstance(data, dict) and data.get("code") == 16:
            return KFP_UNAUTHENTICATED
        if data == {} or not body:
            return OAUTH2_401
        return KFP_UNAUTHENTICATED if isinstance(data, dict) else OAUTH2_401
    if "html" in ctype or body[:15].lower().startswith((b"<!doctype html", b"<html")):
        return SIGNIN_PAGE if response.status_code == 403 else HTML
    if "json" in ctype or _json(response) is not None:
        return JSON
    return OTHER


def _same_resource(response: httpx.Response) -> bool:
    """A redirect to the same API path under another scheme or prefix is not a login: login
    fronts send you to their own pages (``/oauth2/start``, ``/dex/auth``, an IdP)."""
    try:
        asked = response.request.url
    except RuntimeError:  # a Response built without its request
        return False
    target = asked.join(response.headers["location"])
    api = asked.path[asked.path.find("/apis/"):] if "/apis/" in asked.path else asked.path
    return bool(api) and target.path.endswith(api)


def redirect_target(response: httpx.Response) -> str:
    """The KFP endpoint a same-resource redirect of healthz points at, or ''."""
    target = str(response.request.url.join(response.headers["location"]))
    return target[: -len(HEALTHZ)] if target.endswith(HEALTHZ) else ""


def front_of(response: httpx.Response) -> str:
    """Which login front answered: oauth2-proxy (Kubeflow 1.9+) or oidc-authservice (<= 1.8)."""
    location = response.headers.get("location", "")
    if "/oauth2/" in location or response.status_code in (401, 403):
        return "oauth2-proxy"
    if "/dex" in location or "authservice" in location:
        return "authservice"
    return "gateway"


@dataclass
class AuthPlan:
    """What detection found: the mode to use and how we got there."""

    mode: str                  # in-cluster | none | dex | token | cookie | unknown
    host: str
    front: str = ""            # oauth2-proxy | authservice | gateway | ""
    steps: list[str] = field(default_factory=list)
    problem: Problem | None = None
    healthz: dict[str, Any] | None = None

    @property
    def login_required(self) -> bool:
        return self.mode in ("dex", "token", "cookie", "unknown") and self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "host": self.host, "front": self.front,
                "steps": list(self.steps), "login_required": self.login_required}


@dataclass
class ProbeResult:
    verdict: str
    front: str = ""
    healthz: dict[str, Any] | None = None
    problem: Problem | None = None
    note: str = ""
    #: Where KFP really is, when that is not the host probed (a bare gateway origin).
    host: str = ""


KFP_GATEWAY_PATH = "/pipeline"


def gateway_kfp_host(host: str) -> str:
    """KFP's base behind Kubeflow's gateway for a bare origin, else ''."""
    return host.rstrip("/") + KFP_GATEWAY_PATH if not urlsplit(host).path.strip("/") else ""


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.get(url, headers=headers or {}, follow_redirects=False)


async def probe(client: httpx.AsyncClient, host: str, headers: dict[str, str] | None = None,
                *, alternatives: bool = True) -> ProbeResult:
    """Ask ``host``'s healthz what stands in front of KFP. Never raises for network trouble."""
    try:
        response = await _get(client, host + HEALTHZ, headers)
    except httpx.InvalidURL as err:
        return ProbeResult("bad_url", problem=problems.bad_url(host, str(err)))
    except httpx.HTTPError as err:
        return await _probe_transport_failure(client, host, headers, err, alternatives)
    verdict = classify(response)
    if verdict == REDIRECT:
        target = redirect_target(response)
        if target and httpx.URL(target).scheme != httpx.URL(host).scheme:
            return ProbeResult("http_vs_https", problem=problems.http_vs_https(host, target),
                               note=f"{host} redirects to {target}")
        if target:
            return ProbeResult("wrong_path", problem=problems.wrong_path(host, target, f"it redirects to {target}"),
                               note=f"{host} redirects to {target}")
    if verdict == JSON and response.status_code == 200:
        data = _json(response)
        return ProbeResult(JSON, healthz=data if isinstance(data, dict) else {},
                           note=f"{host} answered healthz directly")
    if verdict in LOGIN_VERDICTS:
        front = front_of(response)
        corrected = gateway_kfp_host(host)
        if corrected:
            return ProbeResult(verdict, front=front, host=corrected,
                               note=f"{host} asks for a Kubeflow login ({front}); Kubeflow's gateway serves "
                                    f"the dashboard there and Kubeflow Pipelines under {KFP_GATEWAY_PATH}: "
                                    f"using {corrected}")
        return ProbeResult(verdict, front=front, note=f"{host} asks for a Kubeflow login ({front})")
    if verdict == KFP_UNAUTHENTICATED:
        return ProbeResult(verdict, front="kfp", note=f"{host} (KFP) asks for an identity: a bearer token")
    if verdict == ISTIO_DENIED:
        return ProbeResult(verdict, problem=problems.istio_denied(), note="Istio denied the request")
    if response.status_code == 404 or verdict in (HTML, OTHER):
        if alternatives:
            for candidate in problems.path_alternatives(host):
                other = await probe(client, candidate, headers, alternatives=False)
                if other.verdict in (JSON, KFP_UNAUTHENTICATED) + LOGIN_VERDICTS:
                    return ProbeResult("wrong_path", problem=problems.wrong_path(host, candidate),
                                       note=f"{candidate} answers like KFP")
        if response.status_code == 404:
            return ProbeResult("wrong_path", problem=problems.wrong_path(host, ""), note="healthz answered 404")
        return ProbeResult(verdict, problem=problems.not_json(host + HEALTHZ, response.status_code,
                                                              response.headers.get("content-type", "")))
    data = _json(response)
    message = data.get("message", "") if isinstance(data, dict) else ""
    return ProbeResult(verdict, problem=problems.kfp_error(response.status_code, str(message)))


async def _probe_transport_failure(client: httpx.AsyncClient, host: str, headers: dict[str, str] | None,
                                   err: httpx.HTTPError, alternatives: bool) -> ProbeResult:
    if problems.is_tls_failure(err):
        return ProbeResult("tls_error", problem=problems.tls_error(host, problems.transport_reason(err)))
    reason = problems.transport_reason(err)
    # A TLS handshake against a plain-HTTP port often just hangs: a connect timeout (which
    # covers the handshake) is worth one try of the other scheme as well.
    worth_trying = reason not in ("the host name does not resolve", "connection refused") and \
        (not isinstance(err, httpx.TimeoutException) or isinstance(err, httpx.ConnectTimeout))
    if alternatives and worth_trying:
        candidate = problems.other_scheme(host)
        other = await probe(client, candidate, headers, alternatives=False)
        # the other scheme answers (even if only with a certificate we cannot verify yet)
        if other.problem is None or other.verdict in ("wrong_path", "tls_error"):
            return ProbeResult("http_vs_https", problem=problems.http_vs_https(host, candidate))
    return ProbeResult("unreachable", problem=problems.unreachable(host, reason))


async def detect(config: ConnectionConfig, client: httpx.AsyncClient) -> AuthPlan:
    """Run the ``auto`` detection (or honour a configured ``auth``) and explain each step."""
    host = config.host
    plan = AuthPlan(mode="unknown", host=host)
    if config.auth not in ("auto", "in-cluster"):
        plan.mode = config.auth
        plan.steps.append(f"Authentication configured as '{config.auth}'.")
        if config.auth in ("none", "dex") and host:
            result = await probe(client, host)
            plan.front, plan.healthz = result.front, result.healthz
            plan.host = result.host or host
            if result.note:
                plan.steps.append(result.note + ".")
            plan.problem = result.problem
        return plan

    if config.in_cluster or config.auth == "in-cluster":
        plan.mode = "in-cluster"
        if config.in_cluster:
            plan.steps.append("KUBERNETES_SERVICE_HOST is set: running inside a Kubernetes cluster.")
        token = TokenFile(config.token_path)
        plan.steps.append(f"KFP endpoint {host} ({config.sources.get('host', 'default')}).")
        if token.exists():
            plan.steps.append(f"Pipelines ServiceAccount token found at {config.token_path}.")
        else:
            from .k8s import read_pod_namespace

            namespace = config.namespace or read_pod_namespace(config.namespace_path)
            plan.steps.append(f"No pipelines token at {config.token_path}.")
            plan.problem = problems.no_token_mounted(config.token_path, namespace)
        return plan

    plan.steps.append("Not inside a Kubernetes cluster (KUBERNETES_SERVICE_HOST is not set).")
    if not host:
        plan.steps.append("No KFP endpoint configured (c.KFPConnect.host, KF_PIPELINES_ENDPOINT).")
        return plan
    plan.steps.append(f"Probing {host}{HEALTHZ} ({config.sources.get('host', 'request')}).")
    result = await probe(client, host)
    if result.note:
        plan.steps.append(result.note + ".")
    plan.front, plan.healthz, plan.problem = result.front, result.healthz, result.problem
    plan.host = result.host or host
    if result.verdict == JSON:
        plan.mode = "none"
    elif result.verdict in LOGIN_VERDICTS:
        plan.mode = "dex"
    elif result.verdict == KFP_UNAUTHENTICATED:
        plan.mode = "token"
    return plan
