"""Login fronts: what stands before KFP, as a client meets it.

=============  ====================================================================================
mode           what answers an unauthenticated request
=============  ====================================================================================
standalone     nothing: KFP's UI server (port-forwarded), single-user; the API answers under
               ``/apis/v2beta1`` and ``/pipeline/apis/v2beta1``.
dex            Kubeflow 1.9+: Istio's ingress gateway asks oauth2-proxy (ext-authz), Dex signs in.
               KFP lives under ``/pipeline`` only; every other path is the central dashboard.
               API routes (``/api/``, ``/apis/``, ``^/ml_metadata``) get 401 ``{}``, other paths a
               403 sign-in page; ``/oauth2/start?rd=`` begins the flow (PKCE S256); cookie
               ``oauth2_proxy_kubeflow``. ``Authorization: Bearer`` skips oauth2-proxy and is
               verified as a JWT by Istio, which hands KFP the ``sub`` as ``kubeflow-userid``.
authservice    Kubeflow <= 1.8: oidc-authservice. Every request gets a 302 to Dex; cookie
               ``authservice_session``.
in-cluster     a notebook pod calling ``ml-pipeline.kubeflow:8888`` directly (API under
               ``/apis/v2beta1`` only): ``Authorization: Bearer`` is a projected ServiceAccount
               token that KFP checks by TokenReview (audience ``pipelines.kubeflow.org``) only
               when it authorizes, so reading shared pipelines needs no identity at all. The pod's
               Istio sidecar answers any request carrying ``kubeflow-userid`` with a bare 403
               ``RBAC: access denied`` (the ``ml-pipeline`` AuthorizationPolicy).
=============  ====================================================================================

Gateway options (``dex`` and ``authservice``): ``connectors``, ``approval`` (Dex's approval
screen; Kubeflow skips it), ``session_lifetime``, ``dashboard`` (``json``: the central
dashboard; ``html``: a gateway whose root serves some other single-page app; ``error``: the
dashboard is up but its profile service is not). ``dex`` only: ``api_routes`` and
``skip_provider_button`` model an oauth2-proxy configured otherwise than Kubeflow's (see
:class:`OAuth2ProxyFront`).

In every multi-user mode ``istio_rbac_namespaces`` lists namespaces Istio's AuthorizationPolicy
keeps out: a request whose ``namespace`` query names one, or whose ServiceAccount lives in one,
gets the bare-text 403 before it reaches KFP.
"""

from __future__ import annotations

import html
import json
import math
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from . import dex_pages
from .base import ApiError, NotFoundHandler, SandboxHandler
from .dex_pages import CLIENT_ID, Dex, PageHandler, page, pkce_challenge
from .rbac import ROLE_NAMES, service_account
from .tokens import PIPELINES_AUDIENCE, TokenRegistry

ISTIO_DENIED = "RBAC: access denied"
DEFAULT_SESSION_LIFETIME = 24 * 3600.0
#: Kubeflow's oauth2_proxy.cfg ``scope``; authservice's ``OIDC_SCOPES`` plus openid.
SCOPE = "profile email groups openid"
#: oauth2-proxy's ``api_routes`` in Kubeflow's manifests (regular expressions, searched).
KUBEFLOW_API_ROUTES = ("/api/", "/apis/", "^/ml_metadata")
#: Where each kind of KFP endpoint serves the v2beta1 API.
UI_SERVER_PREFIXES = ("/apis/v2beta1", "/pipeline/apis/v2beta1")  # ml-pipeline-ui
API_SERVER_PREFIXES = ("/apis/v2beta1",)                           # ml-pipeline:8888
GATEWAY_PREFIXES = ("/pipeline/apis/v2beta1",)                     # the ml-pipeline-ui VirtualService
DASHBOARD_MODES = ("json", "html", "error")
DASHBOARD_INDEX = "Kubeflow Central Dashboard"


class Sessions:
    """Server-side sessions behind an opaque cookie value (oauth2-proxy's cookie is encrypted;
    an opaque random value shows a client the same thing: it can only echo it back)."""

    def __init__(self, lifetime: float = DEFAULT_SESSION_LIFETIME) -> None:
        self.lifetime = float(lifetime)
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def create(self, identity: str) -> str:
        value = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[value] = (identity, time.time() + self.lifetime)
        return value

    def identity(self, value: str | None) -> str | None:
        if not value:
            return None
        with self._lock:
            found = self._sessions.get(value)
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def end(self, value: str | None) -> None:
        with self._lock:
            self._sessions.pop(value or "", None)

    def expire_all(self) -> int:
        """What 24 hours later looks like: every cookie a client holds stops working."""
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
        return count


# --- shared answers ----------------------------------------------------------------------------
def finish_text(handler: Any, status: int, text: str, content_type: str = "text/plain") -> None:
    handler.set_status(status)
    handler.set_header("Content-Type", content_type)
    handler.finish(text)


def finish_html(handler: Any, status: int, text: str) -> None:
    finish_text(handler, status, text, "text/html; charset=utf-8")


def origin(handler: Any) -> str:
    return f"{handler.request.protocol}://{handler.request.host}"


def safe_redirect(target: str) -> str:
    """Only same-origin paths, as oauth2-proxy's redirect validation allows by default."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def set_cookie(handler: Any, name: str, value: str, *, max_age: int, http_only: bool,
               same_site: str = "", expires: bool = False, secure: bool = False) -> None:
    """A ``Set-Cookie`` with exactly the attributes asked for (tornado's ``set_cookie`` adds an
    ``Expires`` to every ``max_age``; Go's ``http.Cookie`` with ``MaxAge`` alone does not)."""
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}"]
    if expires:
        from email.utils import formatdate

        parts.append("Expires=" + formatdate(time.time() + max_age, usegmt=True))
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if same_site:
        parts.append(f"SameSite={same_site}")
    handler.add_header("Set-Cookie", "; ".join(parts))


def clear_cookie(handler: Any, name: str) -> None:
    handler.add_header("Set-Cookie", f"{name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:01 GMT")


# --- fronts ------------------------------------------------------------------------------------
class OpenFront:
    """Standalone KFP: no gateway, no identity, single-user."""

    multi_user = False
    mode = "standalone"
    kfp_prefix = ""
    #: Where this endpoint serves the API (see the module docstring).
    api_prefixes: tuple[str, ...] = UI_SERVER_PREFIXES

    def __init__(self, sandbox: Any = None) -> None:
        self.sandbox = sandbox
        #: ServiceAccount tokens (used by the in-cluster and dex fronts; empty elsewhere).
        self.tokens = TokenRegistry()
        self.sessions = Sessions()

    def routes(self) -> list[tuple]:
        """Extra tornado routes this front serves before the API (Dex pages, oauth2 endpoints)."""
        return []

    def fallback_routes(self) -> list[tuple]:
        """Routes after the API: what answers a path the API does not know."""
        return []

    async def authenticate(self, handler: Any) -> str | None:
        """Identity for an API request, or None when anonymous. May finish the request itself
        (401 ``{}``, a 302 to Dex, a 403 sign-in page, Istio's ``RBAC: access denied``)."""
        return None

    def reset(self) -> None:
        self.tokens.clear()
        self.sessions.expire_all()

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "multi_user": self.multi_user}


class _MultiUserFront(OpenFront):
    multi_user = True

    def __init__(self, sandbox: Any, istio_rbac_namespaces: tuple[str, ...] | list[str] = (),
                 session_lifetime: float = DEFAULT_SESSION_LIFETIME) -> None:
        super().__init__(sandbox)
        self.istio_rbac_namespaces = set(istio_rbac_namespaces)
        self.sessions = Sessions(session_lifetime)

    def istio_gate(self, handler: Any, identity: str | None) -> str | None:
        """Istio's AuthorizationPolicy runs before KFP: a denied source or target namespace gets
        the bare text answer, never KFP's JSON."""
        if self.istio_rbac_namespaces:
            target = handler.get_query_argument("namespace", "")
            source = service_account(identity or "")
            if target in self.istio_rbac_namespaces or (source and source[0] in self.istio_rbac_namespaces):
                finish_text(handler, 403, ISTIO_DENIED)
                return None
        return identity

    def bearer(self, handler: Any) -> str | None:
        """The ``Bearer`` value, or None when there is no Authorization header."""
        header = handler.request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""


class InClusterFront(_MultiUserFront):
    """A pod talking to ``ml-pipeline.kubeflow:8888`` directly with its ServiceAccount token."""

    mode = "in-cluster"
    kfp_prefix = ""
    api_prefixes = API_SERVER_PREFIXES

    async def authenticate(self, handler: Any) -> str | None:
        # The ml-pipeline AuthorizationPolicy allows KFP's own ServiceAccounts, and anyone else
        # only "when request.headers[kubeflow-userid] notValues ['*']": a notebook's header is
        # always refused by its sidecar, whatever else the request carries.
        if handler.request.headers.get("kubeflow-userid") is not None:
            finish_text(handler, 403, ISTIO_DENIED)
            return None
        token = self.bearer(handler)
        if token is None:
            return self.istio_gate(handler, None)
        identity = self.tokens.review(token, PIPELINES_AUDIENCE)
        if identity is None:
            # KFP reviews the token only inside IsAuthorized: reads of shared pipelines (and
            # healthz) never ask, so a stale token still gets them; the rest get this 401.
            handler.auth_failure = ApiError(
                401, "Unauthenticated: Failed to check authorization. User identity is empty in the "
                     "request header: [Request header error: there is no user identity header., "
                     "Authentication failure: Review.Status.Authenticated is false. Error "
                     f"[invalid bearer token, token not valid for audience {PIPELINES_AUDIENCE}]]: "
                     "Failed to authenticate requests")
            return self.istio_gate(handler, None)
        return self.istio_gate(handler, identity)


class _GatewayFront(_MultiUserFront):
    """Kubeflow's Istio gateway with Dex on the same origin; subclasses pick the session proxy."""

    cookie_name = ""
    callback_path = ""
    logout_path = ""
    kubeflow_version = ""
    kfp_prefix = "/pipeline"
    api_prefixes = GATEWAY_PREFIXES

    def __init__(self, sandbox: Any, connectors: tuple[str, ...] | list[str] | str = ("local",),
                 approval: bool = False, dashboard: str = "json", **options: Any) -> None:
        super().__init__(sandbox, **options)
        if isinstance(connectors, str):
            connectors = [c.strip() for c in connectors.split(",") if c.strip()]
        if dashboard not in DASHBOARD_MODES:
            raise ValueError(f"dashboard must be one of {DASHBOARD_MODES}, not {dashboard!r}")
        self.dex = Dex(tuple(connectors), approval)
        self.dashboard = dashboard

    # What an unauthenticated request meets; subclasses finish the request.
    def challenge(self, handler: Any) -> None:
        raise NotImplementedError

    def redirect_uri(self, handler: Any) -> str:
        return origin(handler) + self.callback_path

    def routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            *dex_pages.dex_routes(self.sandbox, self),
            (r"/api/workgroup/env-info", EnvInfoHandler, kwargs),
            (r"/pipeline/?", UiHandler, kwargs),
        ]

    def fallback_routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            # ml-pipeline-ui proxies every /pipeline/apis/v2beta1/* path to KFP: its 404 is KFP's.
            (r"/pipeline/apis/.*", GuardedNotFoundHandler, {"sandbox": self.sandbox}),
            (r"/pipeline/.*", UiHandler, kwargs),
            # The dashboard VirtualService matches prefix "/": everything else is the dashboard.
            (r"/api/.*", DashboardApiNotFound, kwargs),
            (r"/.*", DashboardPage, kwargs),
        ]

    async def authenticate(self, handler: Any) -> str | None:
        token = self.bearer(handler)
        if token is not None:
            return self.authenticate_bearer(handler, token)
        identity = self.sessions.identity(handler.get_cookie(self.cookie_name))
        if identity is None:
            self.challenge(handler)
            return None
        return self.istio_gate(handler, identity)

    def authenticate_bearer(self, handler: Any, token: str) -> str | None:
        """Istio's RequestAuthentication (Kubeflow's ``m2m-dex-and-kind``: Kubernetes-issued JWTs)
        verifies the signature and puts the ``sub`` claim in ``kubeflow-userid``; a JWT it cannot
        verify is a bare 401. KFP then trusts that header (its first authenticator), so no
        TokenReview and no audience check happen behind the gateway."""
        claims = self.tokens.claims(token)
        if claims is None:
            finish_text(handler, 401, "Jwt verification fails")
            return None
        return self.istio_gate(handler, claims.subject)

    def dex_auth_url(self, handler: Any, state: str, extra: dict[str, str] | None = None) -> str:
        query = urlencode(sorted({
            "client_id": CLIENT_ID,
            "redirect_uri": self.redirect_uri(handler),
            "response_type": "code",
            "scope": SCOPE,
            "state": state,
            **(extra or {}),
        }.items()))
        return f"/dex/auth?{query}"

    def session_cookie(self, handler: Any, value: str, lifetime: int) -> None:
        raise NotImplementedError

    def start_session(self, handler: Any, identity: str) -> None:
        value = self.sessions.create(identity)
        # Cookie ages have whole seconds (and cookie jars truncate "now"): give the cookie one
        # second more so a sub-second test lifetime still reaches the server, which enforces
        # the exact lifetime itself.
        self.session_cookie(handler, value, math.ceil(self.sessions.lifetime) + 1)

    def env_info(self, identity: str) -> dict[str, Any]:
        """The central dashboard's ``/api/workgroup/env-info`` for a request with an identity
        header: the user's profile bindings as KFAM returns them (every role, named
        owner/contributor/viewer) and the platform."""
        rbac = self.sandbox.rbac
        namespaces = [
            {"user": b.user, "namespace": b.namespace, "role": ROLE_NAMES[b.role]}
            for b in rbac.bindings_for(identity)
        ]
        return {
            "user": identity,
            "platform": {
                "provider": "other://",
                "providerName": "other",
                "kubeflowVersion": self.kubeflow_version,
                "logoutUrl": self.logout_path,
            },
            "namespaces": namespaces,
            "isClusterAdmin": rbac.is_cluster_admin(identity),
        }

    def reset(self) -> None:
        super().reset()
        self.dex.reset()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "connectors": list(self.dex.connectors),
                "approval": self.dex.approval, "cookie": self.cookie_name,
                "session_lifetime": self.sessions.lifetime, "dashboard": self.dashboard}


class OAuth2ProxyFront(_GatewayFront):
    """Kubeflow 1.9+ (``common/oauth2-proxy/base/oauth2_proxy.cfg``).

    With Kubeflow's configuration oauth2-proxy runs as Istio's ext-authz service and is sent
    only ``authorization`` and ``cookie`` (``includeRequestHeadersInCheck``): it never sees
    ``Accept``, so ``api_routes`` alone decides 401 ``{}`` versus the sign-in page. Giving
    ``api_routes`` (a comma-separated list, "" for none) models oauth2-proxy as the reverse
    proxy in front of KFP instead: then it sees every header, and ``Accept: application/json``
    (``isAjax``) gets the 401 too. ``skip_provider_button`` turns the 403 sign-in page into a
    302 that starts the login at once.
    """

    mode = "dex"
    cookie_name = "oauth2_proxy_kubeflow"
    callback_path = "/oauth2/callback"
    logout_path = "/oauth2/sign_out"
    kubeflow_version = "1.9.1"
    #: ``cookie_csrf_expire`` default (15 minutes).
    csrf_lifetime = 15 * 60

    def __init__(self, sandbox: Any, api_routes: str | None = None, skip_provider_button: bool = False,
                 **options: Any) -> None:
        super().__init__(sandbox, **options)
        self.sees_accept = api_routes is not None
        routes = KUBEFLOW_API_ROUTES if api_routes is None else [r for r in api_routes.split(",") if r.strip()]
        self.api_routes = [re.compile(r.strip()) for r in routes]
        self.skip_provider_button = bool(skip_provider_button)
        self._verifiers: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def csrf_cookie(self) -> str:
        return self.cookie_name + "_csrf"

    def redirect_uri(self, handler: Any) -> str:
        return self.callback_path  # relative_redirect_url = true

    def is_ajax(self, handler: Any) -> bool:
        """oauth2-proxy's ``isAjax``: some ``Accept`` value is exactly ``application/json``."""
        if not self.sees_accept:
            return False
        values = handler.request.headers.get_list("Accept")
        return any(part.strip() == "application/json" for value in values for part in value.split(","))

    def is_api_path(self, handler: Any) -> bool:
        return any(route.search(handler.request.uri or "") for route in self.api_routes)

    def challenge(self, handler: Any) -> None:
        if self.is_ajax(handler) or self.is_api_path(handler):
            finish_text(handler, 401, "{}", "application/json")
            return
        if self.skip_provider_button:
            self.start_flow(handler, handler.request.uri or "/")
            return
        clear_cookie(handler, self.cookie_name)  # SignInPage clears the session cookie
        finish_html(handler, 403, sign_in_page(handler.request.uri or "/"))

    def start_flow(self, handler: Any, rd: str) -> None:
        """``doOAuthStart``: a PKCE verifier (kept with the CSRF cookie), ``state`` =
        ``<nonce>:<rd>``, Kubeflow's ``prompt=none``; 302 to Dex's auth URL."""
        nonce = secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(72)
        with self._lock:
            self._verifiers[nonce] = verifier
        set_cookie(handler, self.csrf_cookie, nonce, max_age=self.csrf_lifetime, http_only=True)
        handler.set_header("Cache-Control", "no-cache, no-store, must-revalidate, max-age=0")
        handler.redirect(self.dex_auth_url(handler, f"{nonce}:{safe_redirect(rd)}", {
            "code_challenge": pkce_challenge(verifier, "S256"),
            "code_challenge_method": "S256",
            "nonce": secrets.token_urlsafe(16),
            "prompt": "none",
        }), status=302)

    def take_verifier(self, nonce: str) -> str:
        with self._lock:
            return self._verifiers.pop(nonce, "")

    def session_cookie(self, handler: Any, value: str, lifetime: int) -> None:
        # MakeCookieFromOptions: Max-Age only, HttpOnly, Secure = FORCE_HTTPS (false in
        # Kubeflow's parameters), no SameSite (cookie_samesite defaults to "").
        set_cookie(handler, self.cookie_name, value, max_age=lifetime, http_only=True)

    def routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            (r"/oauth2/start", OAuth2StartHandler, kwargs),
            (r"/oauth2/callback", OAuth2CallbackHandler, kwargs),
            (r"/oauth2/sign_in", OAuth2SignInHandler, kwargs),
            (r"/oauth2/sign_out", OAuth2SignOutHandler, kwargs),
            *super().routes(),
        ]

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._verifiers.clear()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "api_routes": [r.pattern for r in self.api_routes],
                "skip_provider_button": self.skip_provider_button}


class AuthServiceFront(_GatewayFront):
    """Kubeflow <= 1.8: every unauthenticated request is redirected to Dex."""

    mode = "authservice"
    cookie_name = "authservice_session"
    callback_path = "/authservice/oidc/callback"
    logout_path = "/authservice/logout"
    kubeflow_version = "1.8.0"
    state_cookie = "oidc_state_csrf"

    def __init__(self, sandbox: Any, **options: Any) -> None:
        super().__init__(sandbox, **options)
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()

    def challenge(self, handler: Any) -> None:
        state = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[state] = handler.request.uri or "/"  # firstVisitedURL: path and query
        # createState sets MaxAge int(20 * time.Minute), i.e. nanoseconds read as seconds: a
        # cookie that practically never expires; the sandbox gives it 20 minutes.
        set_cookie(handler, self.state_cookie, state, max_age=20 * 60, http_only=False, expires=True)
        handler.redirect(self.dex_auth_url(handler, state), status=302)

    def take_state(self, state: str) -> str | None:
        with self._lock:
            return self._pending.pop(state, None)

    def session_cookie(self, handler: Any, value: str, lifetime: int) -> None:
        # gorilla/sessions NewCookie from boltstore's options: Path=/, Max-Age and Expires,
        # SameSite=Lax (SESSION_SAME_SITE default), neither HttpOnly nor Secure.
        set_cookie(handler, self.cookie_name, value, max_age=lifetime, http_only=False,
                   same_site="Lax", expires=True)

    def routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            (r"/authservice/oidc/callback", AuthServiceCallbackHandler, kwargs),
            (r"/authservice/logout", AuthServiceLogoutHandler, kwargs),
            *super().routes(),
        ]

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._pending.clear()


def sign_in_page(redirect: str) -> str:
    """oauth2-proxy's sign_in.html: a GET form to ``/oauth2/start`` carrying ``rd``."""
    form = (
        '<form method="GET" action="/oauth2/start">'
        f'<input type="hidden" name="rd" value="{html.escape(redirect)}">'
        '<button type="submit" class="button block is-primary">Sign in with Dex</button>'
        "</form>"
    )
    return page("Sign In", form)


# --- gateway endpoints ---------------------------------------------------------------------------
class OAuth2StartHandler(PageHandler):
    def get(self) -> None:
        self.front.start_flow(self, self.get_query_argument("rd", "/"))


class OAuth2CallbackHandler(PageHandler):
    def get(self) -> None:
        front: OAuth2ProxyFront = self.front
        nonce, _, rd = self.get_query_argument("state", "").partition(":")
        expected = self.get_cookie(front.csrf_cookie)
        if not nonce or not expected or not secrets.compare_digest(nonce, expected):
            return self.error_page(403, "Login Failed: Unable to find a valid CSRF token. Please try again.")
        identity = front.dex.exchange(self.get_query_argument("code", ""), front.take_verifier(nonce))
        if not identity:
            return self.error_page(500, "Internal Server Error: could not redeem the code")
        clear_cookie(self, front.csrf_cookie)
        front.start_session(self, identity)
        self.identity = identity
        self.redirect(safe_redirect(rd), status=302)


class OAuth2SignInHandler(PageHandler):
    def get(self) -> None:
        self.html(sign_in_page(safe_redirect(self.get_query_argument("rd", "/"))), 403)


class OAuth2SignOutHandler(PageHandler):
    def get(self) -> None:
        front = self.front
        front.sessions.end(self.get_cookie(front.cookie_name))
        clear_cookie(self, front.cookie_name)
        self.redirect(safe_redirect(self.get_query_argument("rd", "/")), status=302)


class AuthServiceCallbackHandler(PageHandler):
    def get(self) -> None:
        front: AuthServiceFront = self.front
        state = self.get_query_argument("state", "")
        if not state:
            return self.error_page(400, "Missing url parameter: state")
        if state != self.get_cookie(front.state_cookie):
            return self.error_page(400, "CSRF check failed. This may happen if you opened the login form "
                                        "in more than 1 tabs. Please try to login again.")
        target = front.take_state(state)
        identity = front.dex.exchange(self.get_query_argument("code", ""))
        if target is None or not identity:
            return self.error_page(500, "Failed to exchange authorization code with token.")
        clear_cookie(self, front.state_cookie)  # verifyState revokes the state: one use only
        front.start_session(self, identity)
        self.identity = identity
        self.redirect(safe_redirect(target), status=302)


class AuthServiceLogoutHandler(PageHandler):
    """``POST /authservice/logout``: the session id comes in ``Authorization: Bearer`` only
    (what the dashboard sends); 201 with ``afterLogoutURL``."""

    def post(self) -> None:
        front = self.front
        scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
        session = value.strip() if scheme.lower() == "bearer" else ""
        if not session or front.sessions.identity(session) is None:
            self.set_status(401)
            return self.finish()
        front.sessions.end(session)
        clear_cookie(self, front.cookie_name)
        self.set_status(201)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"afterLogoutURL": "/"}))


class _GuardedHandler(SandboxHandler):
    """A page behind the gateway: the front authenticates first (see ``SandboxHandler``)."""

    def initialize(self, sandbox: Any, front: Any = None) -> None:  # type: ignore[override]
        super().initialize(sandbox)
        self.front = front


class GuardedNotFoundHandler(NotFoundHandler):
    """KFP's 404 for an unknown API path, once the gateway let the request through."""


def dashboard_index(who: str) -> str:
    return page(DASHBOARD_INDEX, f'<p id="user">{html.escape(who)}</p><a href="/pipeline/">Pipelines</a>')


class DashboardPage(_GuardedHandler):
    """The dashboard's ``app.get('/*')``: index.html for any GET it does not route, including
    ``/apis/v2beta1/...`` (KFP is only under ``/pipeline``); express's 404 for other methods."""

    def get(self, *args: Any) -> None:
        finish_html(self, 200, dashboard_index(self.identity or ""))

    def _no_route(self, *args: Any) -> None:
        path = html.escape(self.request.path)
        finish_html(self, 404, f"<!DOCTYPE html>\n<html><body><pre>Cannot {self.request.method} {path}</pre>"
                               "</body></html>\n")

    post = put = patch = delete = _no_route


class DashboardApiNotFound(_GuardedHandler):
    """The dashboard's catch-all under ``/api``: ``apiError`` 404 JSON."""

    def get(self, *args: Any) -> None:
        finish_text(self, 404, json.dumps({"error": "Could not find the route you're looking for"}),
                    "application/json; charset=utf-8")

    post = put = patch = delete = get


class EnvInfoHandler(_GuardedHandler):
    """The central dashboard's view of who you are and which namespaces you may use; with
    ``dashboard="html"`` the gateway's root is some other single-page app, with ``"error"`` the
    profile service (KFAM) fails and the dashboard answers ``apiError`` (400 without a status)."""

    def get(self) -> None:
        if self.front.dashboard == "html":
            return finish_html(self, 200, page("Some other app", "<div id=root></div>"))
        if self.front.dashboard == "error":
            return finish_text(self, 400, json.dumps({"error": "Unexpected error getting environment info"}),
                               "application/json; charset=utf-8")
        self.write_json(self.front.env_info(self.identity or "anonymous@kubeflow.org"))


class UiHandler(_GuardedHandler):
    """Stands in for the KFP UI's pages (where a login flow's ``rd`` lands)."""

    def get(self, *args: Any) -> None:
        who = html.escape(self.identity or "")
        finish_html(self, 200, page("Kubeflow Pipelines (sandbox)",
                                    f'<p id="user">{who}</p><a href="/">Dashboard</a>'))


FRONTS = {
    "standalone": OpenFront,
    "dex": OAuth2ProxyFront,
    "authservice": AuthServiceFront,
    "in-cluster": InClusterFront,
}


def make_front(mode: str, sandbox: Any, **options: Any) -> OpenFront:
    """``options``: ``session_lifetime`` (seconds), ``approval``, ``connectors`` ("local,ldap"),
    ``dashboard``, ``api_routes`` and ``skip_provider_button`` (dex), ``istio_rbac_namespaces``.
    Options a mode has no use for are refused, so a typo never silently does nothing."""
    try:
        cls = FRONTS[mode]
    except KeyError:
        raise ValueError(f"unknown sandbox mode {mode!r}; choose one of {sorted(FRONTS)}") from None
    if cls is OpenFront:
        if options:
            raise ValueError(f"standalone mode takes no login options, got {sorted(options)}")
        return OpenFront(sandbox)
    return cls(sandbox, **options)
