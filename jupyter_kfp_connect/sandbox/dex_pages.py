"""A small Dex: the identity provider behind Kubeflow's gateway, with the pages and redirects a
client walks through (``/dex/auth`` -> connector chooser -> login form -> approval -> code).

Only the parts a client meets are modelled: the HTML forms (field names ``login``/``password``,
``approval=approve``), the status codes (303 redirects; a wrong password re-renders the form
with 200), the connector chooser when several connectors are on. The gateway fronts exchange
codes in-process (:meth:`Dex.exchange`) instead of calling ``/dex/token``.
"""

from __future__ import annotations

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
#: Where the gateways receive the code.
CALLBACK_PATHS = ("/oauth2/callback", "/authservice/oidc/callback")
#: Connector id -> (button text, login prompt) as Kubeflow's Dex config names them.
CONNECTORS = {"local": ("Email", "Email Address"), "ldap": ("LDAP", "Username")}
CODE_LIFETIME = 60.0


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
        return hmac.new(self._key, req_id.encode(), hashlib.sha256).hexdigest()

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
            self._codes[code] = (auth.identity or "", auth.redirect_uri, time.monotonic() + CODE_LIFETIME)
        sep = "&" if "?" in auth.redirect_uri else "?"
        return f"{auth.redirect_uri}{sep}{urlencode({'code': code, 'state': auth.state})}"

    def exchange(self, code: str) -> str | None:
        """The gateway's token call: a code works once, within a minute."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found[2] < time.monotonic():
            return None
        return found[0]

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._codes.clear()


# --- pages ---------------------------------------------------------------------------------
def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head>\n<body><div class=\"theme-panel\">"
        f"<h2 class=\"theme-heading\">{html.escape(title)}</h2>\n{body}\n</div></body></html>\n"
    )


def chooser_page(connectors: tuple[str, ...], query: str) -> str:
    rows = "\n".join(
        f'<div class="theme-form-row"><a href="{html.escape(f"/dex/auth/{c}?{query}")}" '
        f'target="_self"><button class="dex-btn theme-btn-provider">'
        f"<span class=\"dex-btn-text\">Log in with {html.escape(CONNECTORS[c][0])}</span>"
        "</button></a></div>"
        for c in connectors
    )
    return page("Log in to dex", rows)


def login_page(connector: str, post_url: str, login: str = "", invalid: bool = False) -> str:
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
    return page("Log in to Your Account", form)


def approval_page(req_id: str, mac: str, client: str) -> str:
    form = (
        f"<p>{html.escape(client)} would like to:</p><ul><li>View basic profile information</li>"
        "<li>View your email address</li></ul>"
        '<form method="post" action="/dex/approval">'
        f'<input type="hidden" name="req" value="{html.escape(req_id)}">'
        f'<input type="hidden" name="hmac" value="{html.escape(mac)}">'
        '<button type="submit" name="approval" value="approve" class="dex-btn theme-btn--success">'
        "Grant Access</button></form>"
        '<form method="post" action="/dex/approval">'
        f'<input type="hidden" name="req" value="{html.escape(req_id)}">'
        f'<input type="hidden" name="hmac" value="{html.escape(mac)}">'
        '<button type="submit" name="approval" value="rejected" class="dex-btn theme-btn-provider">'
        "Cancel</button></form>"
    )
    return page("Grant Access", form)


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
        self.html(page("Bad Request" if status == 400 else "Error",
                       f'<p class="dex-error">{html.escape(message)}</p>'), status)

    @property
    def dex(self) -> Dex:
        return self.front.dex


class DexAuthHandler(PageHandler):
    """``/dex/auth``: validate the OAuth request, then the chooser or the one connector."""

    def get(self) -> None:
        if self.get_query_argument("client_id", "") != CLIENT_ID:
            return self.error_page(400, "Invalid client_id.")
        redirect = self.get_query_argument("redirect_uri", "")
        if urlsplit(redirect).path not in CALLBACK_PATHS:
            return self.error_page(400, "Unregistered redirect_uri.")
        if self.get_query_argument("response_type", "") != "code":
            return self.error_page(400, "Unsupported response type.")
        query = self.request.query
        if len(self.dex.connectors) > 1:
            return self.html(chooser_page(self.dex.connectors, query))
        self.redirect(f"/dex/auth/{self.dex.connectors[0]}?{query}", status=302)


class DexConnectorHandler(PageHandler):
    """``/dex/auth/{connector}``: start an auth request and send the browser to its form."""

    def get(self, connector: str) -> None:
        if connector not in self.dex.connectors:
            return self.error_page(404, "Requested resource does not exist.")
        redirect = self.get_query_argument("redirect_uri", "")
        if self.get_query_argument("client_id", "") != CLIENT_ID or urlsplit(redirect).path not in CALLBACK_PATHS:
            return self.error_page(400, "Invalid client_id or redirect_uri.")
        req_id = self.dex.new_request(AuthRequest(
            CLIENT_ID, redirect, self.get_query_argument("state", ""),
            self.get_query_argument("scope", ""), connector,
        ))
        self.redirect(f"/dex/auth/{connector}/login?{urlencode({'back': '', 'state': req_id})}", status=302)


class DexLoginHandler(PageHandler):
    """The password form; a wrong password re-renders it (200) with an error line."""

    def _auth(self, connector: str) -> tuple[str, AuthRequest] | None:
        req_id = self.get_argument("state", "")
        auth = self.dex.request(req_id)
        if auth is None or auth.connector != connector:
            self.error_page(400, "Invalid 'state' parameter provided: not found")
            return None
        return req_id, auth

    def get(self, connector: str) -> None:
        found = self._auth(connector)
        if found:
            self.html(login_page(connector, self.request.uri or ""))

    def post(self, connector: str) -> None:
        found = self._auth(connector)
        if not found:
            return
        req_id, auth = found
        login = self.get_body_argument("login", "")
        identity = self.dex.check_password(connector, login, self.get_body_argument("password", ""))
        if identity is None:
            return self.html(login_page(connector, self.request.uri or "", login, invalid=True))
        auth.identity = identity
        self.redirect(f"/dex/approval?{urlencode({'req': req_id, 'hmac': self.dex.sign(req_id)})}", status=303)


class DexApprovalHandler(PageHandler):
    """The consent screen (or, with approval skipped, straight back to the client)."""

    def _auth(self, source: Any) -> str | None:
        req_id, mac = source("req", ""), source("hmac", "")
        auth = self.dex.request(req_id)
        if auth is None or auth.identity is None or not hmac.compare_digest(mac, self.dex.sign(req_id)):
            self.error_page(400, "Unauthorized request.")
            return None
        return req_id

    def get(self) -> None:
        req_id = self._auth(self.get_query_argument)
        if req_id is None:
            return
        if not self.dex.approval:
            return self.redirect(self.dex.finish(req_id), status=303)
        self.html(approval_page(req_id, self.dex.sign(req_id), "Kubeflow"))

    def post(self) -> None:
        req_id = self._auth(self.get_body_argument)
        if req_id is None:
            return
        if self.get_body_argument("approval", "") != "approve":
            return self.error_page(403, "Access denied: the approval was rejected.")
        self.redirect(self.dex.finish(req_id), status=303)


def dex_routes(sandbox: Any, front: Any) -> list[tuple]:
    kwargs = {"sandbox": sandbox, "front": front}
    return [
        (r"/dex/auth", DexAuthHandler, kwargs),
        (r"/dex/auth/([^/]+)", DexConnectorHandler, kwargs),
        (r"/dex/auth/([^/]+)/login", DexLoginHandler, kwargs),
        (r"/dex/approval", DexApprovalHandler, kwargs),
    ]
