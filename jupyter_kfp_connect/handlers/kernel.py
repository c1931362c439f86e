"""Kernel-facing endpoints: ``kernel/connection`` and the whole API again under ``kernel/api/``.

Kernels have no browser cookie and no server token; they prove themselves with the random
secret the server put in their environment at launch (``X-KFP-Connect-Secret``). Such a
request is the person who started the kernel (:mod:`.kernel_identity`); every other request
goes through normal Jupyter auth. The handlers keep ``@tornado.web.authenticated`` and
``@authorized`` like all others: the secret only decides *who* the current user is, the same
way a token does, and the server's Authorizer decides what that person may do.

``kernel/connection`` hands out live KFP credentials, so it answers only to the secret, never
to a browser. ``kernel/api/...`` are the panel's own handlers (status, login, namespaces,
pipelines...) reachable by kernels, so ``%kfp`` reuses their rules instead of repeating them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import problems
from ..connection.session import CONNECTED, ERROR
from ..errors import KFPConnectError
from ..kernel import KERNEL_PREFIX, SECRET_HEADER
from .base import KFPConnectHandler
from .kernel_identity import KernelIdentity, KernelPerson, direct_from_this_machine

#: Seconds a kernel may reuse the headers it gets when it is not watching (it re-asks after that).
HEADERS_MAX_AGE = 0.5
#: Longest a kernel's watch (``Prefer: wait=N`` with ``If-None-Match``) is held open.
WATCH_MAX_WAIT = 30.0
#: How often a held watch looks at the connection again, re-reading a token file: a rotated
#: token reaches the kernel this soon. Sign-in, renewal, expiry and sign-out wake it at once.
WATCH_POLL = 0.25
#: Keys the views' entity tags (per server process): a tag says nothing about the headers it
#: stands for, even to someone who could guess a token.
_ETAG_KEY = secrets.token_bytes(32)
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6}(?:\.\d{1,6})?)", re.IGNORECASE)
#: Addresses that mean "every interface": kernels reach those through loopback.
_WILDCARDS = {"", "0.0.0.0", "*", "localhost"}


def loopback_url(serverapp: Any) -> str:
    """The server's own URL as its kernels (same machine) reach it, with its base_url.

    '' for a Unix-socket server, which kernels cannot reach over HTTP.
    """
    if getattr(serverapp, "sock", ""):
        return ""
    ip = serverapp.ip or ""
    host = "127.0.0.1" if ip in _WILDCARDS else "[::1]" if ip == "::" else (
        f"[{ip}]" if ":" in ip else ip)
    scheme = "https" if serverapp.certfile else "http"
    return f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}"


class KernelAuthMixin:
    """Put first in the bases: a kernel's secret makes the request its person's (see
    :mod:`.kernel_identity`); without one, the request is authenticated as usual."""

    _kernel_identity: Any = None

    @property
    def kernel_authenticated(self) -> bool:
        """True when this request carries one of this server's kernel secrets, directly from
        this machine: a secret that leaked (an ``env`` dump in a shared notebook) is no use
        elsewhere on the network, nor through a proxy."""
        return self._kernel_person() is not None

    def _kernel_person(self) -> KernelPerson | None:
        supplied = self.request.headers.get(SECRET_HEADER, "")  # type: ignore[attr-defined]
        kernel_secrets = getattr(self.kfp_app, "kernel_secrets", None)  # type: ignore[attr-defined]
        if not (supplied and kernel_secrets is not None
                and direct_from_this_machine(self.request)):  # type: ignore[attr-defined]
            return None
        return kernel_secrets.lookup(supplied)

    @property
    def identity_provider(self) -> Any:
        real = super().identity_provider  # type: ignore[misc]
        if self._kernel_identity is None:
            person = self._kernel_person()
            self._kernel_identity = KernelIdentity(real, person) if person is not None else False
        return self._kernel_identity or real

    @property
    def user_key(self) -> str:
        """The kernel's person (whoever started it), else the requester's as usual."""
        identity = self.identity_provider
        if isinstance(identity, KernelIdentity):
            return identity.key
        return super().user_key  # type: ignore[misc]


def kernel_view(connection: Any) -> dict[str, Any]:
    """What a kernel needs to build ``kfp.Client``; headers only while they can work."""
    verify = connection.verify
    view: dict[str, Any] = {
        "state": connection.state,
        "host": connection.api_base,
        "ui_host": connection.ui_base,
        "namespace": connection.namespace,
        "multi_user": connection.multi_user,
        "auth": connection.auth_kind,
        "verify_ssl": verify is not False,
        "ca_cert": verify if isinstance(verify, str) else "",
        "generation": connection.generation,
        "max_age": HEADERS_MAX_AGE,
        "connected": False,
        "headers": {},
        "problem": connection.problem.to_json() if connection.problem else None,
    }
    if connection.state not in (CONNECTED, ERROR) or connection.credentials is None:
        if view["problem"] is None:
            view["problem"] = problems.not_signed_in(connection.host).to_json()
        return view
    try:
        view["headers"] = connection.headers()
    except KFPConnectError as err:
        view["problem"] = err.problem.to_json()
        return view
    view["connected"] = True
    return view


def view_etag(view: dict[str, Any]) -> str:
    """The entity tag of a kernel view: equal tags, equal views (headers included)."""
    body = json.dumps(view, sort_keys=True, separators=(",", ":")).encode()
    return f'"{hmac.new(_ETAG_KEY, body, hashlib.sha256).hexdigest()[:32]}"'


def preferred_wait(prefer: str) -> float:
    """Seconds from RFC 7240's ``Prefer: wait=N``, at most :data:`WATCH_MAX_WAIT`; 0 if absent."""
    match = _PREFER_WAIT.search(prefer or "")
    return min(float(match.group(1)), WATCH_MAX_WAIT) if match else 0.0


class KernelConnectionHandler(KernelAuthMixin, KFPConnectHandler):
    """``GET kernel/connection[?check=1]``: host, namespace and fresh headers for a kernel.

    A watch is the same request with ``If-None-Match: <the tag it holds>`` and
    ``Prefer: wait=N``: the answer waits until the view differs from that tag (a sign-in,
    renewal, expiry, sign-out, namespace change or rotated token file) or N seconds pass, and
    is then the new view, or ``304`` with nothing. Kernels keep one watch open while they use
    KFP, so their calls need no round trip here for headers and still see every change.
    """

    _etag: str | None = None
    _wake: asyncio.Event | None = None
    _gone = False

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        if not self.kernel_authenticated:
            raise KFPConnectError(
                "kernel_only", "Only kernels started by this server may ask for KFP credentials.",
                fix="Use kfp_client in a notebook or console of this JupyterLab.", status=403)
        connection = self.kfp_app.connections.get(self.user_key)
        await connection.start()
        if self.get_query_argument("check", "") and connection.credentials is not None:
            # The kernel met a 401 or a login page: let the connection see it for itself
            # (it marks the session expired, or signs in again with "keep me signed in").
            try:
                await connection.request("GET", "healthz")
            except KFPConnectError:
                pass  # the state and problem now say what is wrong; the view reports them
        view = kernel_view(connection)
        wait = preferred_wait(self.request.headers.get("Prefer", ""))
        if wait and self._holds(view_etag(view)):
            view = await self._until_changed(connection, view, wait)
        self._etag = view_etag(view)
        self.set_header("Cache-Control", "no-store")
        self.reply(view)  # tornado answers 304, without a body, when If-None-Match holds the tag

    def compute_etag(self) -> str | None:
        """Our keyed tag instead of tornado's sha1 of the body (the body carries secrets)."""
        return self._etag

    def _holds(self, etag: str) -> bool:
        """Does the request's ``If-None-Match`` hold ``etag``? (tornado's own comparison)"""
        self.set_header("Etag", etag)
        try:
            return self.check_etag_header()
        finally:
            self.clear_header("Etag")  # finish() sets it again, and answers 304 on a match

    async def _until_changed(self, connection: Any, view: dict[str, Any], wait: float) -> dict[str, Any]:
        """The view once it differs from ``view``, or ``view`` again after ``wait`` seconds."""
        loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        remove = connection.add_listener(lambda event, conn: loop.call_soon_threadsafe(wake.set))
        etag, deadline = view_etag(view), loop.time() + wait
        try:
            while not self._gone and (left := deadline - loop.time()) > 0:
                try:
                    await asyncio.wait_for(wake.wait(), min(WATCH_POLL, left))
                except asyncio.TimeoutError:
                    pass
                wake.clear()
                view = kernel_view(connection)  # re-reads a token file
                if view_etag(view) != etag:
                    break
        finally:
            remove()
        return view

    def on_connection_close(self) -> None:
        """The kernel went away (or stopped watching): stop waiting for it."""
        self._gone = True
        if self._wake is not None:
            self._wake.set()
        super().on_connection_close()


class KernelInjectHandler(KFPConnectHandler):
    """``GET kernel/inject``: may the front end load the extension into Python kernels?
    (``c.KFPConnect.inject_kernels``; the user's own setting is checked by the front end.)"""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        self.reply({"inject_kernels": bool(self.kfp_app.inject_kernels)})


def _for_kernels(handler: type) -> type:
    """The same handler, also accepting the kernel secret."""
    return type(f"Kernel{handler.__name__}", (KernelAuthMixin, handler),
                {"__doc__": f"{handler.__doc__ or handler.__name__} (for kernels)",
                 "__module__": __name__})


def kernel_api_routes(routes: list[tuple[str, type]]) -> list[tuple[str, type]]:
    """The other modules' ``routes`` again under ``kernel/api/`` (collected by
    :func:`..handlers.all_routes`, so this module never imports its package's index)."""
    return [(f"{KERNEL_PREFIX}/api/{pattern}", _for_kernels(handler)) for pattern, handler in routes]


ROUTES = [
    (f"{KERNEL_PREFIX}/connection", KernelConnectionHandler),
    (f"{KERNEL_PREFIX}/inject", KernelInjectHandler),
]
