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

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import problems
from ..connection.session import CONNECTED, ERROR
from ..errors import KFPConnectError
from ..kernel import KERNEL_PREFIX, SECRET_HEADER
from .base import KFPConnectHandler
from .kernel_identity import KernelIdentity, KernelPerson, direct_from_this_machine

#: Seconds a kernel may reuse the headers it gets (it re-asks after that).
HEADERS_MAX_AGE = 0.5
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


class KernelConnectionHandler(KernelAuthMixin, KFPConnectHandler):
    """``GET kernel/connection[?check=1]``: host, namespace and fresh headers for a kernel."""

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
        self.reply(kernel_view(connection))


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
