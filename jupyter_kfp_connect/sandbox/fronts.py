"""Login fronts: what stands before KFP, as a client meets it.

=============  ====================================================================================
mode           what answers an unauthenticated request
=============  ====================================================================================
standalone     nothing: KFP itself, single-user
dex            Kubeflow 1.9+: oauth2-proxy + Dex. API routes (``/api/``, ``/apis/``, ``/ml_metadata``)
               get 401 ``{}``, other paths a 403 sign-in page; ``/oauth2/start?rd=`` begins the
               flow; cookie ``oauth2_proxy_kubeflow``. ``Authorization: Bearer`` skips oauth2-proxy
               and is checked as a JWT (Istio): sandbox ServiceAccount tokens pass, others 401.
authservice    Kubeflow <= 1.8: oidc-authservice. Every request gets a 302 to Dex; cookie
               ``authservice_session``.
in-cluster     a notebook pod calling ``ml-pipeline`` directly: ``Authorization: Bearer`` is a
               projected ServiceAccount token checked by TokenReview (audience
               ``pipelines.kubeflow.org``). With ``istio_denial`` a ``kubeflow-userid`` header
               gets Istio's bare ``RBAC: access denied`` (without it KFP would trust the header,
               which is exactly the hole Istio closes).
=============  ====================================================================================

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
from .base import SandboxHandler
from .dex_pages import CLIENT_ID, Dex, PageHandler, page
from .rbac import ROLE_NAMES, service_account
from .tokens import PIPELINES_AUDIENCE, TokenRegistry

ISTIO_DENIED = "RBAC: access denied"
DEFAULT_SESSION_LIFETIME = 24 * 3600.0
SCOPE = "openid profile email groups"
#: oauth2-proxy's ``api_routes`` in Kubeflow's manifests (regular expressions, searched).
API_ROUTES = re.compile(r"/api/|/apis/|^/ml_metadata")


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


def finish_grpc(handler: Any, status: int, code: int, message: str) -> None:
    body = {"code": code, "message": message,
            "details": [{"@type": "type.googleapis.com/google.rpc.Status", "code": code, "message": message}]}
    finish_text(handler, status, json.dumps(body), "application/json")


def origin(handler: Any) -> str:
    return f"{handler.request.protocol}://{handler.request.host}"


def safe_redirect(target: str) -> str:
    """Only same-origin paths, as oauth2-proxy's redirect validation allows by default."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --- fronts ------------------------------------------------------------------------------------
class OpenFront:
    """Standalone KFP: no gateway, no identity, single-user."""

    multi_user = False
    mode = "standalone"
    kfp_prefix = ""

    def __init__(self, sandbox: Any = None) -> None:
        self.sandbox = sandbox
        #: ServiceAccount tokens (used by the in-cluster and dex fronts; empty elsewhere).
        self.tokens = TokenRegistry()
        self.sessions = Sessions()

    def routes(self) -> list[tuple]:
        """Extra tornado routes this front serves (Dex pages, oauth2 endpoints, dashboard API)."""
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

    def istio_gate(self, handler: Any, identity: str) -> str | None:
        """Istio's AuthorizationPolicy runs before KFP: a denied source or target namespace gets
        the bare text answer, never KFP's JSON."""
        if self.istio_rbac_namespaces:
            target = handler.get_query_argument("namespace", "")
            source = service_account(identity)
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

    def __init__(self, sandbox: Any, istio_denial: bool = False, **options: Any) -> None:
        super().__init__(sandbox, **options)
        self.istio_denial = istio_denial

    async def authenticate(self, handler: Any) -> str | None:
        user_header = handler.request.headers.get("kubeflow-userid")
        if user_header is not None and self.istio_denial:
            finish_text(handler, 403, ISTIO_DENIED)
            return None
        token = self.bearer(handler)
        if token is not None:
            identity = self.tokens.review(token, PIPELINES_AUDIENCE)
            if identity is None:
                if handler.request.path.endswith("/healthz"):
                    return None  # KFP's healthz never authenticates
                finish_grpc(handler, 401, 16,
                            "Unauthenticated: Failed to authenticate token review, "
                            "Review.Status: {Authenticated:false User:{Username: UID: Groups:[] Extra:map[]} "
                            f"Audiences:[] Error:[invalid bearer token, token not valid for audience "
                            f"{PIPELINES_AUDIENCE}]}}: Failed to authenticate requests")
                return None
            return self.istio_gate(handler, identity)
        if user_header:
            return self.istio_gate(handler, user_header)  # KFP trusts the header when Istio does not stop it
        return None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "istio_denial": self.istio_denial}


class _GatewayFront(_MultiUserFront):
    """Kubeflow's Istio gateway with Dex on the same origin; subclasses pick the session proxy."""

    cookie_name = ""
    callback_path = ""
    logout_path = ""
    kubeflow_version = ""
    kfp_prefix = "/pipeline"

    def __init__(self, sandbox: Any, connectors: tuple[str, ...] | list[str] | str = ("local",),
                 approval: bool = False, **options: Any) -> None:
        super().__init__(sandbox, **options)
        if isinstance(connectors, str):
            connectors = [c.strip() for c in connectors.split(",") if c.strip()]
        self.dex = Dex(tuple(connectors), approval)

    # What an unauthenticated request meets; subclasses finish the request.
    def challenge(self, handler: Any) -> None:
        raise NotImplementedError

    def routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            *dex_pages.dex_routes(self.sandbox, self),
            (r"/api/workgroup/env-info", EnvInfoHandler, kwargs),
            (r"/", UiHandler, kwargs),
            (r"/pipeline/?", UiHandler, kwargs),
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
        """Istio's RequestAuthentication: a JWT it cannot verify is a bare 401; then KFP's
        TokenReview wants the pipelines audience."""
        claims = self.tokens.claims(token)
        if claims is None:
            finish_text(handler, 401, "Jwt verification fails")
            return None
        if claims.audience != PIPELINES_AUDIENCE:
            finish_grpc(handler, 401, 16, "Unauthenticated: Failed to authenticate token review: "
                        f"token not valid for audience {PIPELINES_AUDIENCE}")
            return None
        return self.istio_gate(handler, claims.subject)

    def dex_auth_url(self, handler: Any, state: str) -> str:
        query = urlencode({
            "client_id": CLIENT_ID,
            "redirect_uri": origin(handler) + self.callback_path,
            "response_type": "code",
            "scope": SCOPE,
            "state": state,
        })
        return f"/dex/auth?{query}"

    def start_session(self, handler: Any, identity: str) -> None:
        value = self.sessions.create(identity)
        # Cookie dates have whole seconds (and cookie jars truncate "now"): give the cookie one
        # second more so a sub-second test lifetime still reaches the server, which enforces
        # the exact lifetime itself.
        lifetime = math.ceil(self.sessions.lifetime) + 1
        handler.set_cookie(self.cookie_name, value, path="/", httponly=True,
                           expires=time.time() + lifetime, max_age=lifetime, samesite="Lax",
                           secure=handler.request.protocol == "https")

    def env_info(self, identity: str) -> dict[str, Any]:
        """The central dashboard's ``/api/workgroup/env-info`` for a profile-aware cluster."""
        rbac = self.sandbox.rbac
        namespaces = [
            {"user": b.user, "namespace": b.namespace, "role": ROLE_NAMES[b.role]}
            for b in rbac.bindings_for(identity) if b.role in ("admin", "edit")
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
                "session_lifetime": self.sessions.lifetime}


class OAuth2ProxyFront(_GatewayFront):
    """Kubeflow 1.9+."""

    mode = "dex"
    cookie_name = "oauth2_proxy_kubeflow"
    callback_path = "/oauth2/callback"
    logout_path = "/oauth2/sign_out"
    kubeflow_version = "1.9.1"

    @property
    def csrf_cookie(self) -> str:
        return self.cookie_name + "_csrf"

    def challenge(self, handler: Any) -> None:
        if API_ROUTES.search(handler.request.path):
            finish_text(handler, 401, "{}", "application/json")
            return
        finish_text(handler, 403, sign_in_page(handler.request.uri or "/"), "text/html; charset=utf-8")

    def routes(self) -> list[tuple]:
        kwargs = {"sandbox": self.sandbox, "front": self}
        return [
            (r"/oauth2/start", OAuth2StartHandler, kwargs),
            (r"/oauth2/callback", OAuth2CallbackHandler, kwargs),
            (r"/oauth2/sign_in", OAuth2SignInHandler, kwargs),
            (r"/oauth2/sign_out", OAuth2SignOutHandler, kwargs),
            *super().routes(),
        ]


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
            self._pending[state] = handler.request.uri or "/"
        handler.set_cookie(self.state_cookie, state, path="/", httponly=True,
                           expires=time.time() + 600, samesite="Lax")
        handler.redirect(self.dex_auth_url(handler, state), status=302)

    def take_state(self, state: str) -> str | None:
        with self._lock:
            return self._pending.pop(state, None)

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
    """oauth2-proxy's sign-in page: a GET form to ``/oauth2/start`` carrying ``rd``."""
    form = (
        '<form method="GET" action="/oauth2/start">'
        f'<input type="hidden" name="rd" value="{html.escape(redirect)}">'
        '<button type="submit" class="button block is-primary">Sign in with OpenID Connect</button>'
        "</form>"
    )
    return page("Sign In", form)


# --- gateway endpoints ---------------------------------------------------------------------------
class OAuth2StartHandler(PageHandler):
    def get(self) -> None:
        front: OAuth2ProxyFront = self.front
        nonce = secrets.token_urlsafe(16)
        rd = safe_redirect(self.get_query_argument("rd", "/"))
        self.set_cookie(front.csrf_cookie, nonce, path="/", httponly=True,
                        expires=time.time() + 900, samesite="Lax")
        self.redirect(front.dex_auth_url(self, f"{nonce}:{rd}"), status=302)


class OAuth2CallbackHandler(PageHandler):
    def get(self) -> None:
        front: OAuth2ProxyFront = self.front
        nonce, _, rd = self.get_query_argument("state", "").partition(":")
        expected = self.get_cookie(front.csrf_cookie)
        if not nonce or not expected or not secrets.compare_digest(nonce, expected):
            return self.error_page(403, "Unable to find a valid CSRF token. Please try again.")
        identity = front.dex.exchange(self.get_query_argument("code", ""))
        if not identity:
            return self.error_page(500, "Internal Server Error: could not redeem the code")
        self.clear_cookie(front.csrf_cookie, path="/")
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
        self.clear_cookie(front.cookie_name, path="/")
        self.redirect(safe_redirect(self.get_query_argument("rd", "/")), status=302)


class AuthServiceCallbackHandler(PageHandler):
    def get(self) -> None:
        front: AuthServiceFront = self.front
        state = self.get_query_argument("state", "")
        if not state or state != self.get_cookie(front.state_cookie):
            return self.error_page(400, "Missing or invalid state cookie")
        target = front.take_state(state)
        identity = front.dex.exchange(self.get_query_argument("code", ""))
        if target is None or not identity:
            return self.error_page(500, "Failed to exchange authorization code with token")
        self.clear_cookie(front.state_cookie, path="/")
        front.start_session(self, identity)
        self.identity = identity
        self.redirect(safe_redirect(target), status=302)


class AuthServiceLogoutHandler(PageHandler):
    def post(self) -> None:
        front = self.front
        front.sessions.end(self.get_cookie(front.cookie_name))
        self.clear_cookie(front.cookie_name, path="/")
        self.set_status(201)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"afterLogoutURL": "/"}))


class _GuardedHandler(SandboxHandler):
    """A page behind the gateway: the front authenticates first (see ``SandboxHandler``)."""

    def initialize(self, sandbox: Any, front: Any = None) -> None:  # type: ignore[override]
        super().initialize(sandbox)
        self.front = front


class EnvInfoHandler(_GuardedHandler):
    """The central dashboard's view of who you are and which namespaces you may use."""

    def get(self) -> None:
        if self.identity is None:
            return finish_text(self, 401, "{}", "application/json")
        self.write_json(self.front.env_info(self.identity))


class UiHandler(_GuardedHandler):
    """Stands in for the dashboard and KFP UI pages (where a login flow's ``rd`` lands)."""

    def get(self) -> None:
        who = html.escape(self.identity or "")
        finish_text(self, 200, page("Kubeflow Central Dashboard (sandbox)",
                                    f'<p id="user">{who}</p><a href="/pipeline/">Pipelines</a>'),
                    "text/html; charset=utf-8")


FRONTS = {
    "standalone": OpenFront,
    "dex": OAuth2ProxyFront,
    "authservice": AuthServiceFront,
    "in-cluster": InClusterFront,
}


def make_front(mode: str, sandbox: Any, **options: Any) -> OpenFront:
    """``options``: ``session_lifetime`` (seconds), ``approval``, ``connectors`` ("local,ldap"),
    ``istio_denial`` (in-cluster), ``istio_rbac_namespaces``. Options a mode has no use for are
    refused, so a typo never silently does nothing."""
    try:
        cls = FRONTS[mode]
    except KeyError:
        raise ValueError(f"unknown sandbox mode {mode!r}; choose one of {sorted(FRONTS)}") from None
    if cls is OpenFront:
        if options:
            raise ValueError(f"standalone mode takes no login options, got {sorted(options)}")
        return OpenFront(sandbox)
    return cls(sandbox, **options)

