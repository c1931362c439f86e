"""A small Dex: the identity provider behind Kubeflow's gateway, with the pages and redirects a
client walks through (``/dex/auth`` -> connector chooser -> login form -> approval -> code).

Read from dexidp/dex v2.44.0 (the Dex Kubeflow 1.11 deploys): ``server/handlers.go``,
``server/templates.go`` and ``web/templates/{login,password,approval}.html``. Only the parts a
client meets are modelled: the HTML forms (``login``/``password``; the approval form has no
``action``, hidden ``req`` and ``approval=approve`` fields and a submit button without a name,
while the ``hmac`` travels only in the page's query string), the status codes (302 to a
connector, 303 after a password or an approval, a wrong password re-renders the form with
401), the connector chooser when several connectors are on, PKCE (``code_challenge``, checked
when the code is redeemed). The gateway fronts redeem codes in-process (:meth:`Dex.exchange`)
instead of calling ``/dex/token``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .base import SandboxHandler

#: The OAuth client Kubeflow's manifests register for oauth2-proxy and authservice.
CLIENT_ID = "kubeflow-oidc-authservice"
#: The client's name on the approval page (Kubeflow's ``staticClients``).
CLIENT_NAME = "Dex Login Application"
#: Where the gateways receive the code.
CALLBACK_PATHS = ("/oauth2/callback", "/authservice/oidc/callback")
#: Connector id -> (button text, login prompt): the password DB's prompt is "Email Address"
#: (``passwordDB.Prompt``), an LDAP connector's is its ``usernamePrompt``.
CONNECTORS = {"local": ("Email", "Email Address"), "ldap": ("LDAP", "Username")}
#: Dex's auth codes live 30 minutes (``sendCodeResponse``).
CODE_LIFETIME = 1800.0
#: ``scopeDescriptions`` in server/templates.go: what the approval page lists.
SCOPE_DESCRIPTIONS = {"offline_access": "Have offline access", "profile": "View basic profile information",
                      "email": "View your email address", "groups": "View your groups"}


@dataclass(frozen=True)
class DexUser:
    email: str
    password: str
    username: str
    connector: str = "local"

    def matches(self, connector: str, login: str) -> bool:
        # The local connector (staticPasswords) signs in by email, LDAP by uid.
        if connector != self.connector:
            return False
        return login == (self.email if connector == "local" else self.username)


DEMO_USERS = (
    DexUser("user@example.com", "12341234", "user"),
    DexUser("alice@example.com", "alicepass", "alice"),
    DexUser("ldapuser@example.com", "ldappass", "ldapuser", "ldap"),
)


@dataclass
class AuthRequest:
    client_id: str
    redirect_uri: str
    state: str
    scope: str
    connector: str = ""
    identity: str | None = None
    code_challenge: str = ""
    code_challenge_method: str = ""


class Dex:
    """Auth requests, one-time codes and users; thread-safe (reset from the test thread)."""

    def __init__(self, connectors: tuple[str, ...] = ("local",), approval: bool = False,
                 users: tuple[DexUser, ...] = DEMO_USERS) -> None:
        unknown = [c for c in connectors if c not in CONNECTORS]
        if unknown or not connectors:
            raise ValueError(f"connectors must be some of {sorted(CONNECTORS)}, not {connectors!r}")
        self.connectors = tuple(connectors)
        self.approval = approval
        self.users = tuple(users)
        self._key = secrets.token_bytes(32)
        self._requests: dict[str, AuthRequest] = {}
        self._codes: dict[str, tuple[str, str, float]] = {}
        self._lock = threading.Lock()

    # --- state ---------------------------------------------------------------------------
    def new_request(self, request: AuthRequest) -> str:
        req_id = secrets.token_urlsafe(16)
        with self._lock:
            self._requests[req_id] = request
        return req_id

    def request(self, req_id: str) -> AuthRequest | None:
        with self._lock:
            return self._requests.get(req_id)

    def sign(self, req_id: str) -> str:
        """The approval URL's ``hmac``: base64url (unpadded) of HMAC-SHA256 over the request id."""
        mac = hmac.new(self._key, req_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def check_password(self, connector: str, login: str, password: str) -> str | None:
        for user in self.users:
            if user.matches(connector, login) and hmac.compare_digest(user.password, password):
                return user.email
        return None

    def finish(self, req_id: str) -> str:
        """Turn an authenticated request into a code; returns the callback URL."""
        with self._lock:
            auth = self._requests.pop(req_id)
            code = secrets.token_urlsafe(24)
            self._codes[code] = (auth, time.monotonic() + CODE_LIFETIME)
        sep = "&" if "?" in auth.redirect_uri else "?"
        return f"{auth.redirect_uri}{sep}{urlencode({'code': code, 'state': auth.state})}"

    def exchange(self, code: str, code_verifier: str = "") -> str | None:
        """The gateway's token call: a code works once, within its lifetime, and only with the
        PKCE verifier whose challenge the auth request carried."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found[1] < time.monotonic():
            return None
        auth = found[0]
        if auth.code_challenge and not hmac.compare_digest(
                pkce_challenge(code_verifier, auth.code_challenge_method), auth.code_challenge):
            return None  # Dex: invalid_grant "Invalid code_verifier."
        return auth.identity or ""

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._codes.clear()


def pkce_challenge(verifier: str, method: str) -> str:
    """RFC 7636: ``S256`` is base64url(sha256(verifier)) unpadded; ``plain`` is the verifier."""
    if method == "S256":
        return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode("ascii")
    return verifier


# --- pages ---------------------------------------------------------------------------------
def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head>\n<body><div class=\"theme-panel\">"
        f"<h2 class=\"theme-heading\">{html.escape(title)}</h2>\n{body}\n</div></body></html>\n"
    )


def dex_page(heading: str, body: str) -> str:
    """Dex's header.html (the title is the issuer name, "dex") around a theme panel."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>dex</title></head>\n"
        '<body class="theme-body"><div class="dex-container"><div class="theme-panel">'
        f'<h2 class="theme-heading">{html.escape(heading)}</h2>\n{body}\n</div></div></body></html>\n'
    )


def chooser_page(connectors: tuple[str, ...], query: str) -> str:
    """login.html: one link-wrapped button per connector, sorted by name."""
    ordered = sorted(connectors, key=lambda c: CONNECTORS[c][0])
    rows = "\n".join(
        f'<div class="theme-form-row"><a href="{html.escape(f"/dex/auth/{c}?{query}")}" '
        f'target="_self"><button class="dex-btn theme-btn-provider">'
        f'<span class="dex-btn-icon dex-btn-icon--{"ldap" if c == "ldap" else "local"}"></span>'
        f"<span class=\"dex-btn-text\">Log in with {html.escape(CONNECTORS[c][0])}</span>"
        "</button></a></div>"
        for c in ordered
    )
    return dex_page("Log in to dex", f"<div>{rows}</div>")


def login_page(connector: str, post_url: str, login: str = "", invalid: bool = False,
               back: str = "") -> str:
    prompt = CONNECTORS[connector][1]
    error = (
        f'<div id="login-error" class="dex-error-box">Invalid {html.escape(prompt)} and password.</div>'
        if invalid else ""
    )
    form = (
        f'<form method="post" action="{html.escape(post_url)}">'
        f'<div class="theme-form-row"><div class="theme-form-label"><label for="userid">'
        f"{html.escape(prompt)}</label></div>"
        f'<input tabindex="1" required id="login" name="login" type="text" class="theme-form-input" '
        f'placeholder="{html.escape(prompt.lower())}" value="{html.escape(login)}" autofocus></div>'
        '<div class="theme-form-row"><div class="theme-form-label"><label for="password">Password'
        '</label></div><input tabindex="2" required id="password" name="password" type="password" '
        'class="theme-form-input" placeholder="password"></div>'
        f"{error}"
        '<button tabindex="3" id="submit-login" type="submit" class="dex-btn theme-btn--primary">'
        "Login</button></form>"
    )
    if back:
        form += (f'<div class="theme-link-back"><a class="dex-subtle-text" href="{html.escape(back)}">'
                 "Select another login method.</a></div>")
    return dex_page("Log in to Your Account", form)


def approval_page(req_id: str, client: str, scopes: str) -> str:
    """approval.html: two forms with no ``action`` (they post back to the page's own URL, whose
    query carries ``req`` and ``hmac``), hidden ``req`` and ``approval`` fields, unnamed buttons."""
    described = sorted(SCOPE_DESCRIPTIONS[s] for s in scopes.split() if s in SCOPE_DESCRIPTIONS)
    items = "".join(f"<li>{html.escape(d)}</li>" for d in described)
    ask = (f'<div class="dex-subtle-text">{html.escape(client)} would like to:</div><ul class="dex-list">{items}</ul>'
           if described else
           f'<div class="dex-subtle-text">{html.escape(client)} has not requested any personal information</div>')

    def form(value: str, label: str, style: str) -> str:
        return (
            '<div class="theme-form-row"><form method="post">'
            f'<input type="hidden" name="req" value="{html.escape(req_id)}"/>'
            f'<input type="hidden" name="approval" value="{value}">'
            f'<button type="submit" class="dex-btn {style}"><span class="dex-btn-text">{label}</span></button>'
            "</form></div>"
        )

    body = (f'<hr class="dex-separator"><div>{ask}</div><hr class="dex-separator">'
            f'<div>{form("approve", "Grant Access", "theme-btn--success")}'
            f'{form("rejected", "Cancel", "theme-btn-provider")}</div>')
    return dex_page("Grant Access", body)


# --- handlers ------------------------------------------------------------------------------
class PageHandler(SandboxHandler):
    """A page the gateway does not guard (Dex, oauth2-proxy's own endpoints): test controls run,
    the login front does not."""

    def initialize(self, sandbox: Any, front: Any = None) -> None:  # type: ignore[override]
        super().initialize(sandbox)
        self.front = front

    async def prepare(self) -> None:
        await self.sandbox.controls.before_request(self)

    def html(self, body: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(body)

    def error_page(self, status: int, message: str) -> None:
        """Dex's error.html: the status text as heading, the message below."""
        from http import HTTPStatus

        self.html(dex_page(HTTPStatus(status).phrase, f"<p>{html.escape(message)}</p>"), status)

    @property
    def dex(self) -> Dex:
        return self.front.dex


def _callback_ok(redirect: str) -> bool:
    """Kubeflow registers ``/oauth2/callback`` (relative: oauth2-proxy's
    ``relative_redirect_url``) for oauth2-proxy and ``/authservice/oidc/callback`` for authservice."""
    return urlsplit(redirect).path in CALLBACK_PATHS


def _auth_error(handler: "PageHandler") -> str:
    """``parseAuthorizationRequest``'s checks, in its order; "" when the request is good."""
    if handler.get_argument("client_id", "") != CLIENT_ID:
        return "Invalid client_id."
    if not _callback_ok(handler.get_argument("redirect_uri", "")):
        return "Unregistered redirect_uri."
    if handler.get_argument("response_type", "") != "code":
        return "Unsupported response type."
    if handler.get_argument("code_challenge_method", "plain") not in ("S256", "plain"):
        return f"Unsupported PKCE challenge method ({handler.get_argument('code_challenge_method')!r})."
    return ""


class DexAuthHandler(PageHandler):
    """``/dex/auth`` (``handleAuthorization``): a ``connector_id`` or a single connector is a 302
    to it; several give the chooser (login.html), every link carrying the whole query."""

    def get(self) -> None:
        connector_id = self.get_argument("connector_id", "")
        query = urlencode(sorted((k, v[-1].decode()) for k, v in self.request.arguments.items()
                                 if k != "connector_id"))
        if connector_id:
            if connector_id not in self.dex.connectors:
                return self.error_page(400, "Connector ID does not match a valid Connector")
            return self.redirect(f"/dex/auth/{connector_id}?{query}", status=302)
        if len(self.dex.connectors) == 1:
            return self.redirect(f"/dex/auth/{self.dex.connectors[0]}?{query}", status=302)
        self.html(chooser_page(self.dex.connectors, query))


class DexConnectorHandler(PageHandler):
    """``/dex/auth/{connector}`` (``handleConnectorLogin``): validate the OAuth request, store
    it, and 302 a password connector to its form (``state`` = the request id, ``back`` = the
    chooser when there is one)."""

    def get(self, connector: str) -> None:
        problem = _auth_error(self)
        if problem:
            return self.error_page(400, problem)
        if connector not in self.dex.connectors:
            return self.error_page(400, "Connector failed to initialize")
        req_id = self.dex.new_request(AuthRequest(
            CLIENT_ID, self.get_argument("redirect_uri"), self.get_argument("state", ""),
            self.get_argument("scope", ""), connector,
            code_challenge=self.get_argument("code_challenge", ""),
            code_challenge_method=self.get_argument("code_challenge_method", "plain"),
        ))
        back = f"/dex/auth?{self.request.query}" if len(self.dex.connectors) > 1 else ""
        self.redirect(f"/dex/auth/{connector}/login?{urlencode({'back': back, 'state': req_id})}", status=302)


class DexLoginHandler(PageHandler):
    """``handlePasswordLogin``: the form posts back to its own URL; a wrong password re-renders
    it with 401 (Dex >= 2.37); a right one 303s to the approval page, or, with
    ``skipApprovalScreen`` (Kubeflow's setting), straight to the client's callback."""

    def _auth(self, connector: str) -> tuple[str, AuthRequest] | None:
        req_id = self.get_query_argument("state", "")
        if not req_id:
            self.error_page(400, "User session error.")
            return None
        auth = self.dex.request(req_id)
        if auth is None:
            self.error_page(400, "Requested resource does not exist.")
            return None
        if auth.connector != connector:
            self.error_page(500, "Requested resource does not exist.")
            return None
        return req_id, auth

    def get(self, connector: str) -> None:
        found = self._auth(connector)
        if found:
            self.html(login_page(connector, self.request.uri or "", back=self.get_query_argument("back", "")))

    def post(self, connector: str) -> None:
        found = self._auth(connector)
        if not found:
            return
        req_id, auth = found
        login = self.get_body_argument("login", "")
        identity = self.dex.check_password(connector, login, self.get_body_argument("password", ""))
        if identity is None:
            return self.html(login_page(connector, self.request.uri or "", login, invalid=True,
                                        back=self.get_query_argument("back", "")), 401)
        auth.identity = identity
        if not self.dex.approval:
            return self.redirect(self.dex.finish(req_id), status=303)
        self.redirect(f"/dex/approval?req={req_id}&hmac={self.dex.sign(req_id)}", status=303)


class DexApprovalHandler(PageHandler):
    """``handleApproval``: ``req`` and ``hmac`` are read with Go's ``FormValue`` (the body, then
    the query), so the page's action-less form works by posting back to the page's URL."""

    def _auth(self) -> str | None:
        mac = self.get_argument("hmac", "")
        if not mac:
            self.error_page(401, "Unauthorized request")
            return None
        req_id = self.get_argument("req", "")
        auth = self.dex.request(req_id)
        if auth is None:
            self.error_page(500, "Database error.")
            return None
        if auth.identity is None:
            self.error_page(500, "Login process not yet finalized.")
            return None
        if not hmac.compare_digest(mac, self.dex.sign(req_id)):
            self.error_page(401, "Unauthorized request")
            return None
        return req_id

    def get(self) -> None:
        req_id = self._auth()
        if req_id is not None:
            auth = self.dex.request(req_id)
            self.html(approval_page(req_id, CLIENT_NAME, auth.scope if auth else ""))

    def post(self) -> None:
        req_id = self._auth()
        if req_id is None:
            return
        if self.get_argument("approval", "") != "approve":
            return self.error_page(500, "Approval rejected.")
        self.redirect(self.dex.finish(req_id), status=303)


def dex_routes(sandbox: Any, front: Any) -> list[tuple]:
    kwargs = {"sandbox": sandbox, "front": front}
    return [
        (r"/dex/auth", DexAuthHandler, kwargs),
        (r"/dex/auth/([^/]+)", DexConnectorHandler, kwargs),
        (r"/dex/auth/([^/]+)/login", DexLoginHandler, kwargs),
        (r"/dex/approval", DexApprovalHandler, kwargs),
    ]
