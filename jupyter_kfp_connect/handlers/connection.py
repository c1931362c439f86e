"""Connection endpoints: ``status``, ``login``, ``logout``, ``namespaces``, ``namespace``, ``check``.

Handlers only translate HTTP to calls on the user's Connection; what a body may contain and
what comes back is documented in ``openapi.yaml``. No response ever carries a secret.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import problems
from ..check import run_checks
from ..connection.session import CONNECTED, NAMESPACE_RE
from ..errors import KFPConnectError
from ..kfp_api import KFPApi
from .base import KFPConnectHandler

LOGIN_FIELDS = {"auth": str, "host": str, "username": str, "password": str, "connector": str,
                "keep_signed_in": bool, "token": str, "cookie": str, "namespace": str,
                "verify_ssl": bool, "ca_cert": str}


class ConnectionHandler(KFPConnectHandler):
    @property
    def connection(self) -> Any:
        return self.kfp_app.connections.get(self.user_key)


class StatusHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        connection = self.connection
        await connection.start()
        if self.get_argument("check", "") in ("1", "true") and connection.state == CONNECTED \
                and not connection.busy:
            # The panel's periodic refresh: one light authenticated KFP call, so a session the
            # gateway expired shows as expired (the connection turns its state on a 401). Not
            # while every admission slot is taken: the status would wait behind the whole
            # queue, and the calls in flight notice an expiry themselves; it answers from state.
            try:
                await KFPApi(connection).session_probe()
            except KFPConnectError:
                pass
        self.reply(connection.status())


class LoginHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.get_json_body_or_empty()
        fields: dict[str, Any] = {}
        for name, value in body.items():
            kind = LOGIN_FIELDS.get(name)
            if kind is None:
                raise KFPConnectError("bad_request", f"Unknown field {name!r} in the sign-in request.", status=400)
            if value is None:
                continue
            if not isinstance(value, kind):
                raise KFPConnectError("bad_request", f"Field {name!r} must be a {kind.__name__}.", status=400)
            fields[name] = value
        if fields.get("connector") not in (None, "local", "ldap"):
            raise KFPConnectError("bad_request", "connector must be 'local' or 'ldap'.", status=400)
        self.reply(await self.connection.login(**fields))


class LogoutHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    def post(self) -> None:
        self.connection.logout()
        self.reply(self.connection.status())


class NamespacesHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        connection = self.connection
        await connection.start()
        if connection.credentials is None:
            raise KFPConnectError.from_problem(connection.problem or problems.not_signed_in(connection.host))
        self.reply(await KFPApi(connection).namespaces())


class NamespaceHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    async def put(self) -> None:
        body = self.get_json_body_or_empty()
        namespace = body.get("namespace")
        if not isinstance(namespace, str):
            raise KFPConnectError("bad_request", "Send {\"namespace\": \"<name>\"}.", status=400)
        check = body.get("check", False)
        if not isinstance(check, bool):
            raise KFPConnectError("bad_request", "Field 'check' must be a boolean.", status=400)
        connection = self.connection
        await connection.start()
        namespace = namespace.strip()
        if namespace and not NAMESPACE_RE.match(namespace):
            raise KFPConnectError("bad_request", f"{namespace!r} is not a valid Kubernetes namespace name.",
                                  status=400)
        if check and namespace and connection.credentials is not None:
            # A name typed by hand: list in it first; refuse (and remember nothing) if KFP says no.
            denial = await KFPApi(connection).access_problem(namespace)
            if denial is not None:
                raise KFPConnectError.from_problem(problems.namespace_refused(namespace, denial))
        connection.set_namespace(namespace)
        await connection.refresh_access()  # the old namespace's access problem is not this one's
        self.reply({"namespace": connection.namespace, "source": connection.namespace_source})


class CheckHandler(ConnectionHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        connection = self.connection
        await connection.start()
        self.reply(await run_checks(connection))


ROUTES = [
    (r"status", StatusHandler),
    (r"login", LoginHandler),
    (r"logout", LogoutHandler),
    (r"namespaces", NamespacesHandler),
    (r"namespace", NamespaceHandler),
    (r"check", CheckHandler),
]
