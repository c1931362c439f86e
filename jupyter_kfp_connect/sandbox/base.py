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
    pass ``code=`` to choose it (e.g. FAILED_PRECONDITION still answers 400).

    KFP's ``UserError`` has two texts: the internal chain (every layer's prefix, "outer:
    inner: ...") that becomes the gRPC ``message``, and the external sentence that travels
    in ``details[0].message``. ``external`` is the latter (default: the message itself);
    :meth:`wrap` adds a layer to the chain and keeps it. ``gateway=True`` marks an error made
    by grpc-gateway itself (a bad query value or body): it has no ``details``. ``plain=True``
    marks Go's ``http.Error`` (a ``text/plain`` line) on the hand-written upload endpoints."""

    def __init__(self, status: int, message: str, *, code: int | None = None,
                 details: list[dict[str, Any]] | None = None, external: str | None = None,
                 gateway: bool = False, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code if code is not None else HTTP_TO_GRPC.get(status, 2)
        self.message = message
        self.external = external if external is not None else message
        self.details = details
        self.gateway = gateway
        self.plain = plain

    def wrap(self, prefix: str) -> "ApiError":
        """KFP wraps errors as they travel up ("outer: inner"); keep status, code and the
        external sentence (``util.Wrap`` on a ``UserError``)."""
        return ApiError(self.status, f"{prefix}: {self.message}", code=self.code, details=self.details,
                        external=self.external, gateway=self.gateway, plain=self.plain)


def grpc_body(error: ApiError) -> dict[str, Any]:
    """grpc-gateway's Status JSON (protojson, unset fields left out): a KFP ``UserError``
    carries its external sentence as one ``google.rpc.Status`` detail; the gateway's own
    errors (query or body parsing) carry none."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details is not None:
        details = error.details
    elif error.gateway:
        details = []
    else:
        details = [{"@type": "type.googleapis.com/google.rpc.Status", "code": error.code,
                    "message": error.external}]
    if details:
        body["details"] = details
    return body


#: Where ``fmt.Sprintf("%+v", errors.New(...))`` (pkg/errors) puts the stack in upload errors.
_UPLOAD_STACK = ("github.com/kubeflow/pipelines/backend/src/apiserver/server.(*PipelineUploadServer)"
                 ".{handler}\n\t/go/src/github.com/kubeflow/pipelines/backend/src/apiserver/server/"
                 "pipeline_upload_server.go")


def upload_body(error: ApiError, handler: str = "uploadPipeline") -> dict[str, Any]:
    """KFP's upload error: ``error_message`` is the sentence, ``error_details`` the same
    sentence followed by a Go stack trace (``%+v`` of a pkg/errors error)."""
    stack = _UPLOAD_STACK.format(handler=handler)
    return {"error_message": error.message, "error_details": f"{error.message}\n{stack}"}


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
    def authorize(self, namespace: str, verb: str, resource: str = "pipelines", name: str = "") -> None:
        """KFP's rule (``canAccessPipeline``): single-user skips checks; shared
        (empty-namespace) pipelines are readable by anyone; writing them through the gRPC
        API is checked against the install namespace (uploads: :meth:`authorize_upload`)."""
        if not self.sandbox.multi_user:
            return
        if not namespace:
            if resource == "pipelines" and verb in ("get", "list"):
                return
            namespace = self.sandbox.kfp_namespace
        if self.identity is None and self.auth_failure is not None:
            raise self.auth_failure
        self.sandbox.rbac.check(self.identity, namespace, verb, resource, name)

    def authorize_upload(self, namespace: str) -> None:
        """KFP 2.17's ``canUploadVersionedPipeline``: single-user skips it, and so does a
        shared (namespace-less) upload or upload-version: only a namespaced one is checked.
        ``sandbox.shared_upload_auth = "install_namespace"`` checks shared uploads against
        KFP's own namespace instead, as the gRPC writes to shared pipelines are."""
        if not self.sandbox.multi_user:
            return
        if not namespace:
            if getattr(self.sandbox, "shared_upload_auth", "none") != "install_namespace":
                return
            namespace = self.sandbox.kfp_namespace
        if self.identity is None and self.auth_failure is not None:
            raise self.auth_failure
        self.sandbox.rbac.check(self.identity, namespace, "create", "pipelines")

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
    #: upload endpoints: whether KFP had already set ``Content-Type: application/json`` when
    #: the error was written (it does so only just before creating the pipeline)
    json_committed = True
    #: upload endpoints: the Go function named in ``error_details``' stack
    upload_handler = "uploadPipeline"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            error = exc
        elif isinstance(exc, tornado.web.HTTPError):
            error = ApiError(exc.status_code, exc.log_message or self._reason)
        else:
            error = ApiError(status_code, self._reason if status_code != 500 else "internal error")
        self.set_status(error.status)
        if self.error_format == "upload":
            self._write_upload_error(error)
            return
        self.set_header("Content-Type", "application/json")
        if error.code == UNAUTHENTICATED:  # grpc-gateway's DefaultHTTPErrorHandler
            self.set_header("WWW-Authenticate", error.message)
        self.finish(json.dumps(grpc_body(error)))

    def _write_upload_error(self, error: ApiError) -> None:
        """Go's ``http.Error`` is a ``text/plain`` line; KFP's ``writeErrorToResponse`` writes
        JSON but sets no Content-Type of its own, so before the handler set one Go sniffs the
        body as ``text/plain; charset=utf-8``."""
        if error.plain:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.finish(error.message + "\n")
            return
        self.set_header("Content-Type", "application/json" if self.json_committed
                        else "text/plain; charset=utf-8")
        self.finish(json.dumps(upload_body(error, self.upload_handler)))

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
