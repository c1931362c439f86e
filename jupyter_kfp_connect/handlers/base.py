"""Shared handler plumbing: authentication, JSON bodies and one JSON error shape."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, LegacyIdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .. import untrusted_json
from ..errors import KFPConnectError
from ..problems import within_tls_policy

log = logging.getLogger(__name__)

#: The resource name used with ``@authorized`` (jupyter_server's Authorizer sees it).
AUTH_RESOURCE = "kfp_connect"


#: The key of the one person a plain single-user Jupyter server serves.
OWNER_KEY = "owner"


def single_person_server(identity_provider: Any) -> bool:
    """Jupyter's own identity providers (token or password) serve one person, naming each
    browser session anew ("Anonymous Io", a random id). Keyed by that name, a second browser
    or a cleared cookie would lose the KFP session and every token-authenticated script
    would leave one more connection in memory. JupyterHub and custom providers name people."""
    if os.environ.get("JUPYTERHUB_USER"):
        return False
    return type(identity_provider) in (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


def person_key(identity_provider: Any, user: Any) -> str:
    if single_person_server(identity_provider):
        return OWNER_KEY
    return getattr(user, "username", None) or str(user or "anonymous")


class KFPConnectHandler(ExtensionHandlerMixin, APIHandler):
    """Base for every endpoint: subclasses decorate verbs with
    ``@tornado.web.authenticated`` and ``@authorized`` and call services only."""

    auth_resource = AUTH_RESOURCE

    @property
    def kfp_app(self) -> Any:
        """The running :class:`~jupyter_kfp_connect.app.KFPConnect` (services hang off it)."""
        return self.extensionapp

    @property
    def user_key(self) -> str:
        """A stable key for the person (one KFP connection each); see :func:`person_key`."""
        return person_key(self.identity_provider, self.current_user)

    def get_json_body_or_empty(self) -> dict[str, Any]:
        """Parse the body as a JSON object; a bad body is the caller's 400, not our 500."""
        if not self.request.body:
            return {}
        try:
            body = untrusted_json.loads(self.request.body)
        except ValueError as err:  # not JSON, or too deep
            raise KFPConnectError(
                "bad_request", f"The request body is not valid JSON: {err}", status=400
            ) from err
        if not isinstance(body, dict):
            raise KFPConnectError("bad_request", "The request body must be a JSON object.", status=400)
        return body

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, separators=(",", ":")))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every failure becomes ``{"error": Problem}`` with a sentence a person can act on."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, KFPConnectError):
            problem = within_tls_policy(exc.problem.to_json(),
                                        bool(getattr(self.kfp_app, "allow_insecure_tls", True)))
            self.set_status(exc.status)
        else:
            reason = getattr(exc, "log_message", None) or self._reason
            problem = {
                "code": "http_error" if status_code < 500 else "internal_error",
                "message": reason if status_code < 500 else f"Unexpected server error: {reason}",
                "fix": "" if status_code < 500 else "See the Jupyter server log for details.",
                "yaml": "",
                "status": status_code,
                "details": {},
            }
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": problem, "message": problem["message"]}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Expected, diagnosed failures are not server errors: one line, no traceback.
        if isinstance(value, KFPConnectError):
            log.info("kfp-connect %s: %s", value.code, value.problem.message)
            return
        super().log_exception(typ, value, tb)
