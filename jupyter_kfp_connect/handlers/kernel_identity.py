"""Who a kernel's request speaks for: the person who started the kernel, and no one else.

Each kernel gets a secret in its environment at launch (``JUPYTER_KFP_CONNECT_SECRET``):

- A kernel started through the server (JupyterLab's ``api/sessions`` or ``api/kernels``) gets
  the secret of the person whose request started it: one random secret per person, kept in
  this process's memory with the user their identity provider named at that moment. Jupyter
  Server exposes the request that starts a kernel through ``CallContext`` (the handler of the
  request in progress), so the kernel manager's ``start_kernel`` is wrapped to read it.
- Anything else the server launches inherits the server's own secret from ``os.environ``
  (terminals, and kernels that papermill or a script in a terminal starts). It speaks for the
  server's owner where there is exactly one: the JupyterHub user that owns the server
  (``JUPYTERHUB_USER``), or the one person a plain single-user server serves. A server whose
  identity provider serves several people and has no owner refuses it, with a message.

A secret counts only on a direct connection from this machine: the TCP peer of the request's
own socket must be a loopback address (never ``remote_ip``, which ``X-Real-Ip`` and
``X-Forwarded-For`` rewrite when ``trust_xheaders`` is on, as JupyterHub turns it on), and the
request must carry no forwarding header (a proxy on this machine, such as JupyterHub's
configurable-http-proxy, connects from loopback but adds ``X-Forwarded-For``). Kernels call the
server's loopback URL directly, so they meet both conditions.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from jupyter_server import CallContext
from jupyter_server.auth import User
from jupyter_server.utils import ensure_async

from ..errors import KFPConnectError
from ..kernel import SECRET_ENV
from .base import OWNER_KEY, person_key, single_person_server

#: Headers a proxy adds; a request that carries one was relayed, so it is not a kernel's.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-Ip")


@dataclass(frozen=True)
class KernelPerson:
    """Whom a kernel secret speaks for: ``key`` names the KFP connection (see ``person_key``);
    ``user`` is what the identity provider said when the kernel started, for the Authorizer.
    The server's own secret has neither: its person is the owner, found per request."""

    key: str = ""
    user: User | None = None

    @property
    def is_owner(self) -> bool:
        return not self.key


class KernelSecrets:
    """The server's secret and one secret per person who started a kernel. Memory only."""

    def __init__(self) -> None:
        self.server_secret = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._by_key: dict[str, str] = {}
        self._people: dict[bytes, KernelPerson] = {}

    def for_person(self, key: str, user: User | None) -> str:
        """The secret of ``key`` (made on first use); remembers ``user`` for the Authorizer."""
        with self._lock:
            secret = self._by_key.setdefault(key, secrets.token_urlsafe(32))
            self._people[_digest(secret)] = KernelPerson(key, user)
            return secret

    def lookup(self, supplied: str) -> KernelPerson | None:
        """Whom ``supplied`` speaks for, or None. (Person secrets are found by their SHA-256, so
        the time a lookup takes says nothing about a secret.)"""
        if not supplied:
            return None
        if hmac.compare_digest(supplied.encode("utf-8"), self.server_secret.encode("utf-8")):
            return KernelPerson()
        with self._lock:
            return self._people.get(_digest(supplied))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


# --- handing each kernel its starter's secret ---------------------------------------------

def starter_secret(kernel_secrets: KernelSecrets) -> str:
    """The secret of the person whose request is starting a kernel now ('' outside a request)."""
    handler = CallContext.get(CallContext.JUPYTER_HANDLER)
    user = getattr(handler, "current_user", None) if handler is not None else None
    if not user:
        return ""
    return kernel_secrets.for_person(person_key(handler.identity_provider, user), user)


def hand_secrets_to_kernels(kernel_manager: Any, kernel_secrets: KernelSecrets) -> None:
    """Wrap ``kernel_manager`` so each kernel started by a request gets its starter's secret.

    The wrapper only adds one variable to the ``env`` the launch would have used (the given
    ``env``, else the server's environment, exactly as jupyter_client does), so any kernel
    manager class keeps working. ``update_env`` (a session renamed) may not replace it: a
    restarted kernel keeps acting for the person who started it.
    """
    if getattr(kernel_manager, "_kfp_connect_secrets", None) is not None:
        kernel_manager._kfp_connect_secrets = kernel_secrets
        return
    start = kernel_manager.start_kernel

    async def start_kernel(*args: Any, **kwargs: Any) -> Any:
        secret = starter_secret(kernel_manager._kfp_connect_secrets)
        if secret:
            env = kwargs["env"] if kwargs.get("env") is not None else os.environ
            kwargs["env"] = {**env, SECRET_ENV: secret}
        return await ensure_async(start(*args, **kwargs))

    kernel_manager._kfp_connect_secrets = kernel_secrets
    kernel_manager.start_kernel = start_kernel
    update = getattr(kernel_manager, "update_env", None)
    if update is not None:
        def update_env(*, kernel_id: str, env: dict[str, str]) -> Any:
            return update(kernel_id=kernel_id, env={k: v for k, v in env.items() if k != SECRET_ENV})

        kernel_manager.update_env = update_env


# --- resolving a request's secret -----------------------------------------------------------

def direct_from_this_machine(request: Any) -> bool:
    """The request's own TCP peer is a loopback address and no proxy relayed it."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    context = getattr(getattr(request, "connection", None), "context", None)
    address = getattr(context, "address", None)  # as accepted; xheaders never rewrite it
    host = address[0] if isinstance(address, (tuple, list)) and address else ""
    try:
        peer = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return (getattr(peer, "ipv4_mapped", None) or peer).is_loopback  # ::ffff:127.0.0.1 too


def not_this_persons_kernel() -> KFPConnectError:
    return KFPConnectError(
        "kernel_person_unknown",
        "This Jupyter server serves several people, and this kernel was not started by one of "
        "them from JupyterLab, so it cannot say for whom it would act.",
        fix="Start the kernel from JupyterLab (a notebook or a console): each kernel then acts "
        "for the person who started it.",
        status=403,
    )


async def owner_user(identity_provider: Any) -> tuple[str, User]:
    """The server's owner, for a request with the server's own secret: ``(key, user)``.

    Under JupyterHub, the hub user that owns the server, as the hub describes the server's
    own API token (a ``JupyterHubUser`` with that token's scopes, which is what the hub's
    ``JupyterHubAuthorizer`` checks). On a plain single-user server, its one person.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER", "")
    if hub_user:
        hub_auth = getattr(identity_provider, "hub_auth", None)
        if hub_auth is None:  # another identity provider under the hub: the name is enough
            return hub_user, User(username=hub_user, name=hub_user, display_name=hub_user)
        from jupyterhub.singleuser.extension import JupyterHubUser

        model = await ensure_async(hub_auth.user_for_token(hub_auth.api_token, sync=False))
        if not model or model.get("name") != hub_user:
            raise KFPConnectError(
                "hub_unavailable", "JupyterHub did not confirm who owns this server.",
                fix="Check that the hub is running, then run the cell again.", status=503)
        return hub_user, JupyterHubUser(model)
    if single_person_server(identity_provider):
        return OWNER_KEY, User(username=OWNER_KEY, name=OWNER_KEY, display_name="kernel")
    raise not_this_persons_kernel()


class KernelIdentity:
    """The IdentityProvider for one request that carries a kernel secret.

    ``get_user`` answers with the person the secret speaks for; the Authorizer then decides
    as for any request of that person. Everything else (cookie names, origin checks...) is the
    real provider's. Like a token, the secret is an explicit credential: no XSRF cookie.
    """

    def __init__(self, real: Any, person: KernelPerson) -> None:
        self._real = real
        self._person = person
        self.key = person.key

    async def get_user(self, handler: Any) -> User:
        if self._person.is_owner:
            self.key, user = await owner_user(self._real)
            return user
        return self._person.user or User(username=self.key, name=self.key, display_name="kernel")

    def is_token_authenticated(self, handler: Any) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)
