"""An emulated Kubernetes API for the pipeline CRDs, enough for the ``kubernetes`` Python client.

Served by the sandbox when it runs with ``pipeline_store="kubernetes"``:

====================================================================================  ======================
path                                                                                  verbs
====================================================================================  ======================
``/apis/pipelines.kubeflow.org/v2beta1/namespaces/{ns}/pipelines``                    GET (list), POST
``/apis/pipelines.kubeflow.org/v2beta1/namespaces/{ns}/pipelines/{name}``             GET, PUT, PATCH, DELETE
``/apis/pipelines.kubeflow.org/v2beta1/namespaces/{ns}/pipelineversions[/{name}]``    the same
``/apis/authorization.k8s.io/v1/selfsubjectaccessreviews``                            POST
====================================================================================  ======================

Who is asking: ``Authorization: Bearer`` with a token from :meth:`KubeApi.user_token` (a
person, as a kubeconfig's OIDC token would say) or a sandbox ServiceAccount token (any
audience, as the real API server's default audience accepts a pod's own token). RBAC comes from
the sandbox's table (:mod:`.rbac`): owners and contributors may write, viewers read. Errors are
Kubernetes ``Status`` objects with the reasons and messages apimachinery writes; the
PipelineVersion admission webhooks (KFP's ``backend/src/apiserver/webhook``) run as KFP's do:
the mutating one resolves ``spec.pipelineName`` to the owner ``Pipeline`` (labels, owner
reference), the validating one checks ``pipelineInfo.name`` and refuses any change to a version
but its display name and tags.
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime, timezone
from typing import Any

import tornado.web

from .k8s_store import API_VERSION, GROUP, PIPELINE_INFO_NAME, dns1123_subdomain_errors

KINDS = {"pipelines": "Pipeline", "pipelineversions": "PipelineVersion"}
WEBHOOK = "pipelineversions.pipelines.kubeflow.org"
VERSION_NAME_PATTERN = r"^[a-z0-9]([a-z0-9\.\-]*[a-z0-9])?$"
#: Fields of a PipelineVersion spec that may change after creation (the validating webhook).
MUTABLE_VERSION_FIELDS = ("displayName", "tags")


class KubeError(Exception):
    """A Kubernetes ``Status`` failure."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def body(self) -> dict[str, Any]:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def _resource(plural: str, name: str = "") -> str:
    return f'{plural}.{GROUP} "{name}"' if name else f"{plural}.{GROUP}"


def not_found(plural: str, name: str) -> KubeError:
    return KubeError(404, "NotFound", f"{_resource(plural, name)} not found",
                     {"name": name, "group": GROUP, "kind": plural})


def already_exists(plural: str, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", f"{_resource(plural, name)} already exists",
                     {"name": name, "group": GROUP, "kind": plural})


def conflict(plural: str, name: str) -> KubeError:
    return KubeError(409, "Conflict", f"Operation cannot be fulfilled on {_resource(plural, name)}: the "
                     "object has been modified; please apply your changes to the latest version and "
                     "try again", {"name": name, "group": GROUP, "kind": plural})


def invalid(kind: str, name: str, causes: list[tuple[str, Any, str]]) -> KubeError:
    """422 as the API server words it: ``Kind.group "name" is invalid: field: Invalid value...``."""
    text = ", ".join(f"{field}: Invalid value: {json.dumps(value)}: {why}" for field, value, why in causes)
    plural = kind.lower() + "s"
    return KubeError(422, "Invalid", f'{kind}.{GROUP} "{name}" is invalid: {text}',
                     {"name": name, "group": GROUP, "kind": kind,
                      "causes": [{"reason": "FieldValueInvalid", "message": f"Invalid value: "
                                  f"{json.dumps(v)}: {w}", "field": f} for f, v, w in causes]})


def denied_by_webhook(message: str) -> KubeError:
    return KubeError(400, "BadRequest", f'admission webhook "{WEBHOOK}" denied the request: {message}')


def forbidden(identity: str, verb: str, plural: str, namespace: str, name: str = "") -> KubeError:
    return KubeError(403, "Forbidden", f'{_resource(plural, name)} is forbidden: User "{identity}" cannot '
                     f'{verb} resource "{plural}" in API group "{GROUP}" in the namespace "{namespace}"',
                     {"name": name, "group": GROUP, "kind": plural} if name else {"group": GROUP, "kind": plural})


def _timestamp(us: int) -> str:
    return datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeApi:
    """The emulated API's state that is not in the store: who holds which bearer token."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def user_token(self, user: str) -> str:
        """A bearer token that the emulated API server authenticates as ``user``."""
        token = "sandbox-k8s-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = user
        return token

    def identity(self, token: str) -> str | None:
        with self._lock:
            user = self._tokens.get(token)
        if user:
            return user
        claims = self.sandbox.front.tokens.claims(token)
        return claims.subject if claims else None

    def allowed(self, identity: str, namespace: str, verb: str, group: str, resource: str) -> bool:
        """RBAC: the profile roles cover the ``pipelines.kubeflow.org`` resources only."""
        if group != GROUP or resource not in KINDS:
            return False
        from .rbac import role_allows

        return role_allows(self.sandbox.rbac.role(identity, namespace), verb)

    def routes(self) -> list[tuple]:
        kwargs = {"api": self}
        base = rf"/apis/{GROUP}/v2beta1/namespaces/([^/]+)/(pipelines|pipelineversions)"
        return [
            (base, CollectionHandler, kwargs),
            (base + r"/([^/]+)", ObjectHandler, kwargs),
            (r"/apis/authorization\.k8s\.io/v1/selfsubjectaccessreviews", AccessReviewHandler, kwargs),
        ]


class _KubeHandler(tornado.web.RequestHandler):
    identity: str | None = None

    def initialize(self, api: KubeApi) -> None:
        self.api = api
        self.store = api.sandbox.store

    async def prepare(self) -> None:
        await self.api.sandbox.controls.before_request(self)
        if self._finished:
            return
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        self.identity = self.api.identity(token.strip()) if scheme.lower() == "bearer" else None
        if self.identity is None:
            raise KubeError(401, "Unauthorized", "Unauthorized")

    def authorize(self, verb: str, plural: str, namespace: str, name: str = "") -> None:
        if not self.api.allowed(self.identity or "", namespace, verb, GROUP, plural):
            raise forbidden(self.identity or "", verb, plural, namespace, name)

    def body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as err:
            raise KubeError(400, "BadRequest", f"the object provided is unrecognized: {err}") from None
        if not isinstance(body, dict):
            raise KubeError(400, "BadRequest", "the object provided is unrecognized")
        return body

    def reply(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(exc, KubeError):
            exc = KubeError(status_code, "InternalError", self._reason)
        self.reply(exc.body(), exc.code)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, KubeError):
            super().log_exception(typ, value, tb)

    # --- objects <-> rows --------------------------------------------------------------------
    def to_object(self, record: dict[str, Any]) -> dict[str, Any]:
        kind = record["kind"]
        table = "pipelines" if kind == "Pipeline" else "versions"
        row = self.store._one(f"SELECT * FROM {table} WHERE id = ?", [record["uid"]])
        metadata: dict[str, Any] = {
            "name": record["name"], "namespace": record["namespace"], "uid": record["uid"],
            "resourceVersion": str(record["resource_version"]), "generation": record["generation"],
            "creationTimestamp": _timestamp(row["created_at"]),
        }
        if record.get("labels"):
            metadata["labels"] = json.loads(record["labels"])
        spec = json.loads(record["spec"])
        body: dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata}
        if kind == "PipelineVersion":
            pipeline = self.store.get_pipeline(row["pipeline_id"])
            metadata["ownerReferences"] = [{"apiVersion": API_VERSION, "kind": "Pipeline",
                                            "name": pipeline["name"], "uid": pipeline["id"],
                                            "blockOwnerDeletion": True}]
            body["spec"] = spec
            # The CRD's default status (no controller): the version is ready.
            body["status"] = {"conditions": [{"type": "PipelineVersionStatus", "status": "True",
                                              "reason": "READY", "message": "READY"}]}
        else:
            body["spec"] = spec
        return body

    def record(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        found = self.store.k8s_object(KINDS[plural], namespace, name)
        if found is None:
            raise not_found(plural, name)
        return found


class CollectionHandler(_KubeHandler):
    def get(self, namespace: str, plural: str) -> None:
        self.authorize("list", plural, namespace)
        items = [self.to_object(r) for r in self.store.k8s_objects(KINDS[plural], namespace)]
        self.reply({"apiVersion": API_VERSION, "kind": KINDS[plural] + "List",
                    "metadata": {"resourceVersion": str(self.store.next_resource_version())},
                    "items": items})

    def post(self, namespace: str, plural: str) -> None:
        body = self.body()
        name = (body.get("metadata") or {}).get("name", "")
        self.authorize("create", plural, namespace, "")
        _check_kind(body, plural)
        record = (create_pipeline if plural == "pipelines" else create_version)(self.store, namespace, body)
        self.reply(self.to_object(record), 201)


class ObjectHandler(_KubeHandler):
    def get(self, namespace: str, plural: str, name: str) -> None:
        self.authorize("get", plural, namespace, name)
        self.reply(self.to_object(self.record(plural, namespace, name)))

    def put(self, namespace: str, plural: str, name: str) -> None:
        self.authorize("update", plural, namespace, name)
        body = self.body()
        _check_kind(body, plural)
        current = self.record(plural, namespace, name)
        given_rv = str((body.get("metadata") or {}).get("resourceVersion") or "")
        if not given_rv:
            raise invalid(KINDS[plural], name, [("metadata.resourceVersion", "0",
                                                 "must be specified for an update")])
        if given_rv != str(current["resource_version"]):
            raise conflict(plural, name)
        self.reply(self.to_object(update(self.store, current, body.get("spec") or {})))

    def patch(self, namespace: str, plural: str, name: str) -> None:
        """JSON merge patch (what the kubernetes client sends for custom objects)."""
        self.authorize("patch", plural, namespace, name)
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in ("application/merge-patch+json", "application/json"):
            raise KubeError(415, "UnsupportedMediaType", f'the body of the request was in an unknown '
                            f'format - accepted media types include: application/merge-patch+json')
        current = self.record(plural, namespace, name)
        patch = self.body()
        spec = merge_patch(json.loads(current["spec"]), patch.get("spec") or {}) if "spec" in patch else \
            json.loads(current["spec"])
        self.reply(self.to_object(update(self.store, current, spec)))

    def delete(self, namespace: str, plural: str, name: str) -> None:
        self.authorize("delete", plural, namespace, name)
        current = self.record(plural, namespace, name)
        if current["kind"] == "Pipeline":
            self.store.delete_pipeline(current["uid"], cascade=True)  # owner references cascade
        else:
            self.store.delete_version(current["uid"])
        self.store.forget(current["uid"])
        self.reply({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": GROUP, "kind": plural, "uid": current["uid"]}})


class AccessReviewHandler(_KubeHandler):
    """``SelfSubjectAccessReview``: may the caller do this? Answered from the RBAC table."""

    def post(self) -> None:
        body = self.body()
        attributes = ((body.get("spec") or {}).get("resourceAttributes") or {})
        allowed = self.api.allowed(self.identity or "", attributes.get("namespace", ""),
                                   attributes.get("verb", ""), attributes.get("group", ""),
                                   attributes.get("resource", ""))
        status: dict[str, Any] = {"allowed": allowed}
        if allowed:
            status["reason"] = "RBAC: allowed by the profile's RoleBinding"
        self.reply({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                    "metadata": {"creationTimestamp": None}, "spec": body.get("spec") or {},
                    "status": status}, 201)


# --- what the API server and KFP's webhooks do on writes ----------------------------------------
def _check_kind(body: dict[str, Any], plural: str) -> None:
    if body.get("kind") not in (None, KINDS[plural]) or body.get("apiVersion") not in (None, API_VERSION):
        raise KubeError(400, "BadRequest", f"the API version in the data ({body.get('apiVersion')}) does "
                        f"not match the expected API version ({API_VERSION})")


def _name_causes(name: str) -> list[tuple[str, Any, str]]:
    if not name:
        return [("metadata.name", "", "name or generateName is required")]
    return [("metadata.name", name, why) for why in dns1123_subdomain_errors(name)]


def create_pipeline(store: Any, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    name = (body.get("metadata") or {}).get("name", "")
    causes = _name_causes(name)
    if causes:
        raise invalid("Pipeline", name, causes)
    if store.k8s_object("Pipeline", namespace, name):
        raise already_exists("pipelines", name)
    spec = body.get("spec") or {}
    row = store._store.create_pipeline(store.row_namespace(namespace), name, spec.get("displayName") or "",
                                       spec.get("description") or "", spec.get("tags") or None)
    store.record_pipeline(row)
    store.update_record(row["id"], spec, 1)
    return store.k8s_object("Pipeline", namespace, name)


def create_version(store: Any, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    name = (body.get("metadata") or {}).get("name", "")
    spec = body.get("spec") or {}
    # 1. mutating webhook: the owner Pipeline must exist.
    pipeline_record = store.k8s_object("Pipeline", namespace, spec.get("pipelineName") or "")
    if pipeline_record is None:
        raise denied_by_webhook("The spec.pipelineName doesn't map to an existing Pipeline object")
    pipeline = store.get_pipeline(pipeline_record["uid"])
    # 2. the API server: object name and the CRD's openAPIV3Schema.
    causes = _name_causes(name)
    version_name = spec.get("versionName")
    if version_name is not None:
        import re

        if len(version_name) > 253:
            causes.append(("spec.versionName", version_name, "may not be longer than 253"))
        elif not re.match(VERSION_NAME_PATTERN, version_name):
            causes.append(("spec.versionName", version_name,
                           f"spec.versionName in body should match '{VERSION_NAME_PATTERN}'"))
    if "pipelineSpec" not in spec:
        causes.append(("spec.pipelineSpec", None, "Required value"))
    if causes:
        raise invalid("PipelineVersion", name, causes)
    # 3. validating webhook: a readable pipeline spec with a valid pipelineInfo.name.
    pipeline_spec = spec.get("pipelineSpec")
    info_name = ((pipeline_spec or {}).get("pipelineInfo") or {}).get("name", "") if isinstance(
        pipeline_spec, dict) else ""
    if not isinstance(pipeline_spec, dict) or "root" not in pipeline_spec:
        raise denied_by_webhook("The pipeline spec is invalid: failed to parse the pipeline spec: "
                                "Invalid input error: invalid v2 pipeline spec: root component is empty")
    if not info_name:
        raise denied_by_webhook("Invalid input error: pipeline's name cannot be empty")
    if len(info_name) > 128:
        raise denied_by_webhook("Invalid input error: pipeline's name must contain no more than 128 characters")
    if not PIPELINE_INFO_NAME.match(info_name):
        raise denied_by_webhook("Invalid input error: pipeline's name must contain only lowercase "
                                "alphanumeric characters or '-' and must start with alphanumeric characters")
    # 4. storage: object names are unique per kind and namespace.
    if store.k8s_object("PipelineVersion", namespace, name):
        raise already_exists("pipelineversions", name)
    logical = version_name or name
    try:
        row = store._store.create_version(
            pipeline["id"], logical, spec.get("displayName") or "", spec.get("description") or "",
            pipeline_spec, spec.get("platformSpec") or None, spec.get("codeSourceURL") or None, None,
            spec.get("tags") or None)
    except Exception as err:  # the store's own uniqueness: (pipeline, version name)
        if getattr(err, "status", None) == 409:
            raise already_exists("pipelineversions", name) from None
        raise
    store.record_version(pipeline, row, object_name=name, spec=spec)
    return store.k8s_object("PipelineVersion", namespace, name)


def update(store: Any, current: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Replace the spec; a version only in its display name and tags (the webhook's rule)."""
    old = json.loads(current["spec"])
    if current["kind"] == "PipelineVersion":
        expected = {k: v for k, v in old.items() if k not in MUTABLE_VERSION_FIELDS}
        given = {k: v for k, v in spec.items() if k not in MUTABLE_VERSION_FIELDS}
        if expected != given:
            raise denied_by_webhook("Pipeline spec is immutable; only mutable fields (display_name, tags) "
                                    "can be updated")
    if spec == old:
        return current
    generation = current["generation"] + 1
    table = "pipelines" if current["kind"] == "Pipeline" else "versions"
    row = store._one(f"SELECT name FROM {table} WHERE id = ?", [current["uid"]])
    with store._tx() as db:
        # ToModel: an empty displayName reads as the (version) name.
        db.execute(f"UPDATE {table} SET display_name = ?, tags = ? WHERE id = ?",
                   [spec.get("displayName") or row["name"],
                    json.dumps(spec["tags"]) if spec.get("tags") else None, current["uid"]])
        if table == "pipelines":
            db.execute("UPDATE pipelines SET description = ? WHERE id = ?",
                       [spec.get("description") or "", current["uid"]])
    store.update_record(current["uid"], spec, generation)
    return store._one("SELECT * FROM k8s_objects WHERE uid = ?", [current["uid"]])


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result

