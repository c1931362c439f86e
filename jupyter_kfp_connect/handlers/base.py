"""Shared handler plumbing: authentication, JSON bodies and one JSON error shape."""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from ..errors import KFPConnectError

log = logging.getLogger(__name__)

#: The resource name used with ``@authorized`` (jupyter_server's Authorizer sees it).
AUTH_RESOURCE = "kfp_connect"


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
        """A stable key for the signed-in Jupyter user (one KFP connection per user)."""
        user = self.current_user
        return getattr(user, "username", None) or str(user or "anonymous")

    def get_json_body_or_empty(self) -> dict[str, Any]:
        """Parse the body as a JSON object; a bad body is the caller's 400, not our 500."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError as err:
            raise KFPConnectError(
                "bad_request", f"The request body is not valid JSON: {err}", status=400
            ) from err
        if not isinstance(body, dict):
            raise KFPConnectError("bad_request", "The request body must be a JSON object.", status=400)
        return body

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every failure becomes ``{"error": Problem}`` with a sentence a person can act on."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, KFPConnectError):
            problem = exc.problem.to_json()
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
