"""KFP's Kubernetes-native pipeline store (``--pipelinesStoreKubernetes``, KFP 2.14+).

With that flag KFP keeps pipelines and versions as ``Pipeline`` / ``PipelineVersion`` objects
(``pipelines.kubeflow.org/v2beta1``) and its REST API stays, backed by Kubernetes. What changes
for a REST client, as read in ``backend/src/apiserver/storage/pipeline_store_kubernetes.go``
and ``backend/src/crd/kubernetes/v2beta1/`` at 2.17.0:

- names are Kubernetes object names: a DNS-1123 *subdomain* (lower case, digits, ``-``, ``.``,
  at most 253), checked before the object is created, with KFP's own message;
- a version's object name is ``{pipeline}-{version}`` (just ``{version}`` when both names are
  equal, as for an upload's first version), and that too must fit in 253;
- a pipeline needs a namespace (multi-user); single-user KFP uses its own (``kubeflow``);
- ids are the objects' UIDs (UUIDs), so every id the sandbox hands out already is one.

:class:`KubernetesPipelineStore` wraps the SQLite :class:`~.store.Store` and applies those
rules on the three create paths; everything else passes through, so the REST handlers do not
know which store they use. It also keeps the Kubernetes side of each object (object name,
resourceVersion, generation, the spec as written) for the emulated Kubernetes API in
:mod:`.kube_api`, which reads and writes the same rows: an object applied with kubectl shows
up in KFP's REST listings, as in a cluster.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from .base import ApiError

GROUP = "pipelines.kubeflow.org"
VERSION = "v2beta1"
API_VERSION = f"{GROUP}/{VERSION}"
#: k8s.io/apimachinery validation (content.IsDNS1123Subdomain), as KFP 2.17 vendors it (v0.35).
DNS1123_SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric character")
DNS1123_MAX = 253
_SUBDOMAIN = re.compile(f"^{DNS1123_SUBDOMAIN_FMT}$")
#: KFP's MLMD rule for ``pipelineInfo.name`` (backend/src/apiserver/common/utils.go).
PIPELINE_INFO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS k8s_objects (
  uid TEXT PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  resource_version INTEGER NOT NULL, generation INTEGER NOT NULL DEFAULT 1,
  spec TEXT NOT NULL, labels TEXT, UNIQUE (kind, namespace, name));
"""


def dns1123_subdomain_errors(value: str) -> list[str]:
    """``validation.IsDNS1123Subdomain``: the messages Kubernetes gives, in its order."""
    errors = []
    if len(value) > DNS1123_MAX:
        errors.append(f"must be no more than {DNS1123_MAX} characters")
    if not _SUBDOMAIN.match(value):
        errors.append(f"{DNS1123_SUBDOMAIN_MSG} (e.g. 'example.com', regex used for validation is "
                      f"'{DNS1123_SUBDOMAIN_FMT}')")
    return errors


def version_object_name(pipeline_name: str, version_name: str) -> str:
    """``NewPipelineVersionName``: ``{pipeline}-{version}``, or the version's name alone when
    it equals the pipeline's (``FromPipelineVersionModel``). Raises KFP's 400s."""
    errors = dns1123_subdomain_errors(version_name)
    if errors:
        raise ApiError(400, f"Invalid pipeline version name {json.dumps(version_name)}: "
                            f"{'; '.join(errors)}. Use 'display_name' for human-readable labels")
    if pipeline_name == version_name:
        return version_name
    composite = f"{pipeline_name}-{version_name}"
    errors = dns1123_subdomain_errors(composite)
    if errors:
        raise ApiError(400, f"The combined pipeline and version name {json.dumps(composite)} exceeds the "
                            f"Kubernetes 253-character naming limit: {'; '.join(errors)}")
    return composite


def check_pipeline_name(name: str) -> None:
    errors = dns1123_subdomain_errors(name)
    if errors:
        raise ApiError(400, f"Invalid pipeline name {json.dumps(name)}: {'; '.join(errors)}. "
                            "Use 'display_name' for human-readable labels")


class KubernetesPipelineStore:
    """The sandbox's store seen through KFP's Kubernetes store rules (see the module doc)."""

    def __init__(self, store: Any, sandbox: Any) -> None:
        self._store = store
        self._sandbox = sandbox
        self._rv_lock = threading.Lock()
        with store._lock:
            store._db.executescript(_SCHEMA)
            last = store._db.execute("SELECT MAX(resource_version) FROM k8s_objects").fetchone()[0]
        self._resource_version = int(last or 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    # --- namespaces ----------------------------------------------------------------------
    def object_namespace(self, row_namespace: str) -> str:
        """Single-user KFP keeps everything in its own namespace; rows say '' for it."""
        return row_namespace or self._sandbox.kfp_namespace

    def row_namespace(self, object_namespace: str) -> str:
        return "" if not self._sandbox.multi_user else object_namespace

    def _pipeline_namespace(self, namespace: str, failure: ApiError) -> str:
        if not namespace and self._sandbox.multi_user:
            raise failure
        return namespace

    # --- the REST API's create paths -----------------------------------------------------
    def create_pipeline(self, namespace: str, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # BadRequestError is gRPC ABORTED: grpc-gateway answers 409.
        self._pipeline_namespace(namespace, ApiError(
            409, "Failed to create a pipeline in PipelineStore: BadRequestError: : A namespace is "
                 "required", code=10))  # the handler adds "... due to server error: " in front
        self._check_pipeline_name_for_rest(name, "Failed to create a pipeline in PipelineStore: ")
        row = self._store.create_pipeline(namespace, name, *args, **kwargs)
        self.record_pipeline(row)
        return row

    def create_pipeline_and_version(self, namespace: str, name: str, *args: Any,
                                    **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        # The upload server answers an ABORTED store error with a bare 500.
        self._pipeline_namespace(namespace, ApiError(500, "Failed to create a pipeline and a pipeline version"))
        check_pipeline_name(name)
        pipeline, version = self._store.create_pipeline_and_version(namespace, name, *args, **kwargs)
        self.record_pipeline(pipeline)
        self.record_version(pipeline, version)
        return pipeline, version

    def create_version(self, pipeline_id: str, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        pipeline = self._store.get_pipeline(pipeline_id)
        version_object_name(pipeline["name"], name)
        row = self._store.create_version(pipeline_id, name, *args, **kwargs)
        self.record_version(pipeline, row)
        return row

    def _check_pipeline_name_for_rest(self, name: str, prefix: str) -> None:
        try:
            check_pipeline_name(name)
        except ApiError as err:
            raise ApiError(400, f"{prefix}Invalid input error: {err.message}") from None

    # --- the Kubernetes side of each object ----------------------------------------------
    def next_resource_version(self) -> int:
        with self._rv_lock:
            self._resource_version += 1
            return self._resource_version

    def record_pipeline(self, row: dict[str, Any]) -> None:
        spec = _pruned({"displayName": row["display_name"], "description": row["description"],
                        "tags": json.loads(row["tags"]) if row.get("tags") else None})
        self._record(row["id"], "Pipeline", self.object_namespace(row["namespace"]), row["name"], spec,
                     None)

    def record_version(self, pipeline: dict[str, Any], row: dict[str, Any], *,
                       object_name: str | None = None, spec: dict[str, Any] | None = None) -> None:
        """``FromPipelineVersionModel``: labels, object name and the spec KFP writes."""
        name = object_name or version_object_name(pipeline["name"], row["name"])
        if spec is None:
            spec = _pruned({
                "displayName": row["display_name"], "description": row["description"],
                "pipelineSpec": json.loads(row["pipeline_spec"]),
                "platformSpec": json.loads(row["platform_spec"]) if row.get("platform_spec") else None,
                "pipelineName": pipeline["name"], "versionName": row["name"],
                "codeSourceURL": row.get("code_source_url"),
                "tags": json.loads(row["tags"]) if row.get("tags") else None,
            })
        labels = {f"{GROUP}/pipeline-id": pipeline["id"], f"{GROUP}/pipeline": pipeline["name"][:63]}
        self._record(row["id"], "PipelineVersion", self.object_namespace(pipeline["namespace"]), name,
                     spec, labels)

    def _record(self, uid: str, kind: str, namespace: str, name: str, spec: dict[str, Any],
                labels: dict[str, str] | None) -> None:
        with self._store._tx() as db:
            db.execute("INSERT OR REPLACE INTO k8s_objects VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                       [uid, kind, namespace, name, self.next_resource_version(), json.dumps(spec),
                        json.dumps(labels) if labels else None])

    def k8s_object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The Kubernetes record of an object by its object name, if the row still exists."""
        self._adopt_unrecorded(kind, namespace)
        table = "pipelines" if kind == "Pipeline" else "versions"
        return self._store._one(
            f"SELECT k.* FROM k8s_objects k JOIN {table} r ON r.id = k.uid "
            "WHERE k.kind = ? AND k.namespace = ? AND k.name = ?", [kind, namespace, name])

    def k8s_objects(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        self._adopt_unrecorded(kind, namespace)
        table = "pipelines" if kind == "Pipeline" else "versions"
        with self._store._lock:
            rows = self._store._db.execute(
                f"SELECT k.* FROM k8s_objects k JOIN {table} r ON r.id = k.uid "
                "WHERE k.kind = ? AND k.namespace = ? ORDER BY k.name", [kind, namespace]).fetchall()
        return [dict(r) for r in rows]

    def _adopt_unrecorded(self, kind: str, namespace: str) -> None:
        """Rows made without the wrapper (seeded by a test) get their Kubernetes record."""
        row_ns = self.row_namespace(namespace)
        with self._store._lock:
            pipelines = [dict(r) for r in self._store._db.execute(
                "SELECT * FROM pipelines WHERE namespace = ? AND id NOT IN "
                "(SELECT uid FROM k8s_objects)", [row_ns]).fetchall()]
            versions = [] if kind == "Pipeline" else [dict(r) for r in self._store._db.execute(
                "SELECT v.* FROM versions v JOIN pipelines p ON p.id = v.pipeline_id WHERE "
                "p.namespace = ? AND v.id NOT IN (SELECT uid FROM k8s_objects)", [row_ns]).fetchall()]
        for row in pipelines:
            self.record_pipeline(row)
        for row in versions:
            self.record_version(self._store.get_pipeline(row["pipeline_id"]), row)

    def update_record(self, uid: str, spec: dict[str, Any], generation: int) -> int:
        rv = self.next_resource_version()
        with self._store._tx() as db:
            db.execute("UPDATE k8s_objects SET spec = ?, generation = ?, resource_version = ? WHERE uid = ?",
                       [json.dumps(spec), generation, rv, uid])
        return rv

    def forget(self, uid: str) -> None:
        with self._store._tx() as db:
            db.execute("DELETE FROM k8s_objects WHERE uid = ?", [uid])


def _pruned(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v not in ("", None, {}, [])}
