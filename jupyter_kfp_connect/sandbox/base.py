"""What every sandbox API handler shares: the login front and test controls run first, RBAC is
one call, and errors come out in KFP's two body formats.

KFP answers its gRPC-gateway endpoints with ``{"code", "message", "details"}`` (HTTP status
from the gRPC code) but its hand-written upload endpoints with
``{"error_message", "error_details"}``; clients (and our diagnosis code) must meet both.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import tornado.web

log = logging.getLogger(__name__)

# gRPC code -> HTTP status, as grpc-gateway maps them.
GRPC_TO_HTTP = {
    0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}
HTTP_TO_GRPC = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4}

INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
FAILED_PRECONDITION = 9
UNAUTHENTICATED = 16


class ApiError(Exception):
    """An API failure. ``ApiError(404, "...")`` picks the gRPC code from the HTTP status;
    pass ``code=`` to choose it (e.g. FAILED_PRECONDITION still answers 400)."""

    def __init__(self, status: int, message: str, *, code: int | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code if code is not None else HTTP_TO_GRPC.get(status, 2)
        self.message = message
        self.details = details

    def wrap(self, prefix: str) -> "ApiError":
        """KFP wraps errors as they travel up ("outer: inner"); keep status and code."""
        return ApiError(self.status, f"{prefix}: {self.message}", code=self.code, details=self.details)


def grpc_body(error: ApiError) -> dict[str, Any]:
    details = error.details if error.details is not None else [
        {"@type": "type.googleapis.com/google.rpc.Status", "code": error.code, "message": error.message}
    ]
    return {"code": error.code, "message": error.message, "details": details}


def upload_body(error: ApiError) -> dict[str, Any]:
    return {"error_message": error.message, "error_details": error.message}


class SandboxHandler(tornado.web.RequestHandler):
    """Base for API handlers. ``error_format`` is ``"grpc"`` or ``"upload"``."""

    error_format = "grpc"
    identity: str | None = None
    #: Set by a front whose credentials KFP would refuse once it asks who is calling (a stale
    #: token): raised by :meth:`authorize`, so calls that never authorize still succeed.
    auth_failure: ApiError | None = None

    def initialize(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    async def prepare(self) -> None:
        await self.sandbox.controls.before_request(self)
        if self._finished:
            return
        self.identity = await self.sandbox.front.authenticate(self)

    # --- authorization -------------------------------------------------------------------
    def authorize(self, namespace: str, verb: str, resource: str = "pipelines") -> None:
        """KFP's rule: single-user skips checks; shared (empty-namespace) pipelines are
        readable by anyone; writing them is checked against the install namespace."""
        if not self.sandbox.multi_user:
            return
        if not namespace:
            if resource == "pipelines" and verb in ("get", "list"):
                return
            namespace = self.sandbox.kfp_namespace
        if self.identity is None and self.auth_failure is not None:
            raise self.auth_failure
        self.sandbox.rbac.check(self.identity, namespace, verb, resource)

    # --- request helpers -----------------------------------------------------------------
    def json_body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"invalid JSON body: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def query(self, name: str, default: str = "") -> str:
        return self.get_query_argument(name, default) or default

    def namespace_arg(self) -> str:
        """Single-user KFP ignores the namespace: everything lives in the shared space."""
        return self.query("namespace") if self.sandbox.multi_user else ""

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    # --- errors --------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            error = exc
        elif isinstance(exc, tornado.web.HTTPError):
            error = ApiError(exc.status_code, exc.log_message or self._reason)
        else:
            error = ApiError(status_code, self._reason if status_code != 500 else "internal error")
        self.set_status(error.status)
        self.set_header("Content-Type", "application/json")
        body = upload_body(error) if self.error_format == "upload" else grpc_body(error)
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ApiError):
            log.debug("%s %s -> %s %s", self.request.method, self.request.path, value.status, value.message)
            return
        super().log_exception(typ, value, tb)


class NotFoundHandler(SandboxHandler):
    """grpc-gateway's answer to a path it does not route."""

    def get(self, *args: Any) -> None:
        raise ApiError(404, "Not Found")

    post = put = patch = delete = get
