"""KFP v2beta1 REST handlers: healthz, pipelines (+ upload), versions, experiments, runs.

Shapes follow KFP's swagger and protojson (proto field names, empty fields left out, enum
names as strings); status codes and messages follow the API server's Go source, including
its quirks (upload errors as ``error_message``, a broken spec on upload answering 500).
"""

from __future__ import annotations

import json
import posixpath
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlparse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .. import packages
from . import gateway
from .base import ApiError, SandboxHandler
from .filters import parse_list_request
from .store import EXPERIMENTS, PIPELINES, RUNS, VERSIONS

COMMIT_SHA = "sandbox"
TAG_NAME = "2.17.0"
MAX_NAME_LENGTH = 128  # validation/length.go: Pipeline.Name; PipelineVersion.Name is 127
MAX_NAMESPACE_LENGTH = 63
_EPOCH = "1970-01-01T00:00:00Z"


# --- JSON views --------------------------------------------------------------------------
def timestamp(us: int | None) -> str:
    if not us:
        return _EPOCH
    return datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pruned(body: dict[str, Any]) -> dict[str, Any]:
    """protojson leaves out unset fields: empty strings, None, empty lists and maps."""
    return {k: v for k, v in body.items() if v not in ("", None, [], {})}


def pipeline_json(row: dict[str, Any]) -> dict[str, Any]:
    return _pruned({
        "pipeline_id": row["id"], "display_name": row["display_name"], "name": row["name"],
        "description": row["description"], "created_at": timestamp(row["created_at"]),
        "namespace": row["namespace"], "tags": json.loads(row["tags"]) if row.get("tags") else None,
    })


def version_spec(row: dict[str, Any]) -> dict[str, Any]:
    """KFP returns the bare PipelineSpec, or both documents wrapped when a platform spec exists."""
    spec = json.loads(row["pipeline_spec"])
    if row.get("platform_spec"):
        return {"pipeline_spec": spec, "platform_spec": json.loads(row["platform_spec"])}
    return spec


def version_json(row: dict[str, Any]) -> dict[str, Any]:
    return _pruned({
        "pipeline_id": row["pipeline_id"], "pipeline_version_id": row["id"],
        "display_name": row["display_name"], "name": row["name"], "description": row["description"],
        "created_at": timestamp(row["created_at"]),
        "package_url": {"pipeline_url": row["package_url"]} if row.get("package_url") else None,
        "code_source_url": row.get("code_source_url"), "pipeline_spec": version_spec(row),
        "tags": json.loads(row["tags"]) if row.get("tags") else None,
    })


def experiment_json(row: dict[str, Any]) -> dict[str, Any]:
    return _pruned({
        "experiment_id": row["id"], "display_name": row["display_name"],
        "description": row["description"], "created_at": timestamp(row["created_at"]),
        "namespace": row["namespace"], "storage_state": row["storage_state"],
        "last_run_created_at": timestamp(row["last_run_created_at"]),
    })


def run_json(store: Any, row: dict[str, Any], *, details: bool = True) -> dict[str, Any]:
    """A run as KFP's toApiRun shapes it: a run of a pipeline version carries the reference
    (no spec), one created from a spec carries the spec; task details come from the
    workflow's nodes (KFP's task store), so a run has none until its workflow has nodes."""
    view = store.run_view(row)
    created = timestamp(row["created_at"])
    reference = None
    if row.get("pipeline_version_id"):
        reference = {"pipeline_id": row["pipeline_id"], "pipeline_version_id": row["pipeline_version_id"]}
    tasks = [task_json(row["id"], t) for t in view["tasks"]] if details else []
    return _pruned({
        "experiment_id": row["experiment_id"], "run_id": row["id"], "display_name": row["display_name"],
        "storage_state": row["storage_state"], "description": row["description"],
        "pipeline_version_reference": reference,
        "pipeline_spec": json.loads(row["pipeline_spec"]) if row.get("pipeline_spec") and not reference else None,
        "runtime_config": json.loads(row["runtime_config"]) if row.get("runtime_config") else None,
        "service_account": row.get("service_account"), "created_at": created,
        "scheduled_at": created, "finished_at": timestamp(view["finished_at"]), "state": view["state"],
        "state_history": [{"update_time": timestamp(h["t"]), "state": h["state"]} for h in view["history"]],
        "run_details": {"task_details": tasks} if tasks else None,
    })


def task_json(run_id: str, task: dict[str, Any]) -> dict[str, Any]:
    """One PipelineTaskDetail as toApiPipelineTaskDetail fills it from an Argo node: display
    name, phase, times, history and children (as pod names). KFP sets no ``error``, no
    ``parent_task_id`` and no ``pod_name`` for nodes reported from a workflow."""
    children = [{"pod_name": c} for c in task.get("children", [])]
    return _pruned({
        "run_id": run_id, "task_id": task["task_id"], "display_name": task["name"],
        "create_time": timestamp(task["start_us"]), "start_time": timestamp(task["start_us"]),
        "end_time": timestamp(task["end_us"]), "state": task["state"],
        "state_history": [{"update_time": timestamp(w), "state": s} for w, s in task["history"]],
        "child_tasks": children or None,
    })


def list_json(key: str, rows: list[dict[str, Any]], total: int, token: str, view) -> dict[str, Any]:
    return _pruned({key: [view(r) for r in rows], "total_size": total or None, "next_page_token": token})


# --- shared handler helpers --------------------------------------------------------------
class _Api(SandboxHandler):
    """A grpc-gateway endpoint: the query string is Go's (``url.ParseQuery``, strict) and its
    scalar fields are parsed as the gateway parses them, before KFP's own code runs."""

    _values: dict[str, list[str]] | None = None

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished or self.error_format != "grpc":
            return
        self._values = gateway.parse_query(self.request.query)

    @property
    def store(self):
        return self.sandbox.store

    def query(self, name: str, default: str = "") -> str:
        if self._values is None:  # an upload endpoint: Go's URL.Query().Get (first value)
            given = self.get_query_arguments(name)
            return given[0] if given and given[0] else default
        return gateway.scalar(self._values, name, gateway.json_name(name)) or default

    def query_int(self, name: str) -> int:
        return gateway.int32_field(self._values or {}, name, gateway.json_name(name))

    def query_bool(self, name: str) -> bool:
        return gateway.bool_field(self._values or {}, name, gateway.json_name(name))

    def body(self, schema: gateway.Schema) -> dict[str, Any]:
        return gateway.decode_body(self.request.body, schema)

    def list_query(self, listing):
        return parse_list_request(listing, self.query("page_token"), self.query_int("page_size"),
                                  self.query("sort_by"), self.query("filter"))

    def pipeline_for(self, pipeline_id: str, verb: str) -> dict[str, Any]:
        row = self.store.get_pipeline(pipeline_id)
        self.authorize(row["namespace"], verb)
        return row

    def version_for(self, version_id: str, verb: str) -> dict[str, Any]:
        row = self.store.get_version(version_id)
        self.pipeline_for(row["pipeline_id"], verb)
        return row

    # KFP's PipelineServer: canAccessPipeline and the sentences each layer wraps around it.
    def access_pipeline(self, pipeline_id: str, verb: str) -> dict[str, Any]:
        """``canAccessPipeline`` (multi-user only): the pipeline's namespace decides; shared
        pipelines are readable by anyone, writing them is checked in KFP's own namespace."""
        try:
            row = self.store.get_pipeline(pipeline_id)
        except ApiError as exc:
            raise exc.wrap(f"Failed to access pipeline {pipeline_id}. Check if it exists and have a "
                           "namespace assigned") from exc
        try:
            self.authorize(row["namespace"], verb, name=row["name"])
        except ApiError as exc:
            if not row["namespace"]:
                raise exc.wrap(f"Failed to access shared pipeline {pipeline_id}. Check if you have "
                               f"permission to {verb} shared pipelines") from exc
            raise exc.wrap(f"Failed to access pipeline {pipeline_id}. Check if you have access to "
                           f"namespace {row['namespace']}") from exc
        return row

    def guarded_pipeline(self, pipeline_id: str, verb: str, denied: str, fetch: bool = True) -> dict[str, Any] | None:
        """The access check (wrapped in ``denied``) in multi-user mode, then the pipeline."""
        if self.sandbox.multi_user:
            try:
                self.access_pipeline(pipeline_id, verb)
            except ApiError as exc:
                raise exc.wrap(denied) from exc
        return self.store.get_pipeline(pipeline_id) if fetch else None

    def guarded_version(self, version_id: str, verb: str, denied: str) -> dict[str, Any]:
        """``canAccessPipelineVersion``: the version's pipeline decides."""
        if self.sandbox.multi_user:
            try:
                try:
                    version = self.store.get_version(version_id)
                except ApiError as exc:
                    raise exc.wrap(f"Failed to access pipeline version {version_id}. Check if it exists") from exc
                self.access_pipeline(version["pipeline_id"], verb)
            except ApiError as exc:
                raise exc.wrap(denied) from exc
        return self.store.get_version(version_id)

    def require_namespace(self, namespace: str, what: str) -> str:
        if self.sandbox.multi_user and not namespace:
            raise ApiError(400, f"Invalid input error: In multi-user mode, {what} requires a namespace")
        return namespace if self.sandbox.multi_user else ""


async def fetch_package(url: str) -> tuple[bytes, str]:
    """KFP downloads ``package_url.pipeline_url`` itself for JSON-created versions."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ApiError(400, f"invalid pipeline spec URL: {url}")
    try:
        response = await AsyncHTTPClient().fetch(url, request_timeout=30)
    except HTTPClientError as exc:
        raise ApiError(400, f"error fetching pipeline spec from {url} - request returned {exc.code}") from exc
    except OSError as exc:
        raise ApiError(500, f"error downloading the pipeline spec from {url}: {exc}") from exc
    return response.body, posixpath.basename(parsed.path)


def read_spec(data: bytes, filename: str) -> packages.PipelinePackage:
    try:
        return packages.read_package(data, filename)
    except packages.InvalidPackage as exc:
        raise ApiError(400, f"Failed to read pipeline spec: {exc.reason}") from exc


# --- healthz -----------------------------------------------------------------------------
class HealthzHandler(_Api):
    """KFP's own handler on its top mux, not the gateway: plain Go JSON."""

    error_format = "healthz"

    def get(self) -> None:
        self.write_json({"commit_sha": COMMIT_SHA, "tag_name": TAG_NAME,
                         "multi_user": self.sandbox.multi_user,
                         "pipeline_store": self.sandbox.pipeline_store})


# --- pipelines ---------------------------------------------------------------------------
class PipelinesHandler(_Api):
    def get(self) -> None:
        namespace = self.namespace_arg()
        query = self.list_query(PIPELINES)
        try:
            try:
                self.authorize(namespace, "list")
            except ApiError as exc:
                raise exc.wrap(f"Failed to list pipelines due to authorization error. Check if you have "
                               f"read permission to namespace {namespace}") from exc
        except ApiError as exc:
            raise exc.wrap(f"Failed to list pipelines in namespace {self.query('namespace')}. "
                           "Check error stack") from exc
        rows, total, token = self.store.list_pipelines(namespace, query)
        self.write_json(list_json("pipelines", rows, total, token, pipeline_json))

    def post(self) -> None:
        body = self.body(gateway.PIPELINE)
        namespace = (body.get("namespace") or "") if self.sandbox.multi_user else ""
        outer = "Failed to create a pipeline due to server error"
        if not body.get("name"):
            raise ApiError(400, "Invalid input error: name is required", external="name is required").wrap(outer)
        try:
            try:
                self.access_new(namespace)
            except ApiError as exc:
                raise exc.wrap("Failed to create a pipeline due to authorization error. Check if you have "
                               f"write permissions to namespace {namespace}") from exc
            row = self.store.create_pipeline(namespace, body["name"], body.get("display_name") or "",
                                             body.get("description") or "", body.get("tags"))
        except ApiError as exc:
            raise exc.wrap(outer) from exc
        self.write_json(pipeline_json(row))

    def access_new(self, namespace: str) -> None:
        """``canAccessPipeline(ctx, "", {Namespace, Verb: create})`` for a pipeline to be."""
        try:
            self.authorize(namespace, "create")
        except ApiError as exc:
            if not namespace:
                raise exc.wrap("Failed to access shared pipeline . Check if you have permission to "
                               "create shared pipelines") from exc
            raise exc.wrap(f"Failed to access pipeline . Check if you have access to namespace {namespace}") from exc


class PipelineCreateHandler(PipelinesHandler):
    """POST pipelines/create: a pipeline and its first version from a package URL."""

    async def post(self) -> None:
        body = self.body(gateway.CREATE_PIPELINE_AND_VERSION)
        pipeline = body.get("pipeline") or {}
        url = ((body.get("pipeline_version") or {}).get("package_url") or {}).get("pipeline_url", "")
        namespace = (pipeline.get("namespace") or "") if self.sandbox.multi_user else ""
        name = pipeline.get("name") or pipeline.get("display_name") or posixpath.basename(urlparse(url).path)
        try:
            self.access_new(namespace)
            data, filename = await fetch_package(url)
            package = read_spec(data, filename)
            created, _ = self.store.create_pipeline_and_version(
                namespace, name, pipeline.get("display_name") or "", pipeline.get("description") or "",
                package.pipeline_spec, package.platform_spec, pipeline.get("tags"), url)
        except ApiError as exc:
            raise exc.wrap("Failed to create a pipeline") from exc
        self.write_json(pipeline_json(created))


class PipelineByNameHandler(_Api):
    def get(self, name: str) -> None:
        """KFP's ``getPipelineByName``: without a namespace the lookup spans every namespace
        and (a shared read) needs no permission at all."""
        given = self.query("namespace")
        namespace = self.namespace_arg()
        try:
            try:
                self.authorize(namespace, "get", name=name)
            except ApiError as exc:
                raise exc.wrap("Failed to fetch a pipeline due to authorization error. Check if you have "
                               f"read permission to namespace {namespace}") from exc
            row = self.store.get_pipeline_by_name(namespace, name)
        except ApiError as exc:
            raise exc.wrap(f"Failed to get a pipeline with name {name} and namespace {given}. "
                           "Check error stack.") from exc
        self.write_json(pipeline_json(row))


class PipelineHandler(_Api):
    def get(self, pipeline_id: str) -> None:
        try:
            row = self.guarded_pipeline(pipeline_id, "get", "Failed to get a pipeline due authorization "
                                                            f"error for pipeline id {pipeline_id}")
        except ApiError as exc:
            raise exc.wrap(f"Failed to get a pipeline {pipeline_id}. Check error stack") from exc
        self.write_json(pipeline_json(row))

    def delete(self, pipeline_id: str) -> None:
        cascade = self.query_bool("cascade")
        try:
            self.guarded_pipeline(pipeline_id, "delete", "Failed to delete a pipeline due authorization "
                                                         f"error for pipeline id {pipeline_id}", fetch=False)
            self.store.delete_pipeline(pipeline_id, cascade)
        except ApiError as exc:
            raise exc.wrap(f"Failed to delete pipeline {pipeline_id}. Check error stack") from exc
        self.write_json({})

    def patch(self, pipeline_id: str) -> None:
        body = self.body(gateway.PIPELINE)
        self.pipeline_for(pipeline_id, "update")
        row = self.store.update_pipeline(pipeline_id, body.get("display_name") or "", body.get("tags"))
        self.write_json(pipeline_json(row))


class VersionsHandler(_Api):
    def get(self, pipeline_id: str) -> None:
        query = self.list_query(VERSIONS)
        try:
            try:
                namespace = self.store.get_pipeline(pipeline_id)["namespace"]
            except ApiError as exc:
                raise exc.wrap(f"Failed to get namespace for pipeline id {pipeline_id}").wrap(
                    f"Failed to list pipeline versions due to error fetching the namespace for pipeline "
                    f"{pipeline_id}") from exc
            try:
                self.authorize(namespace, "list")
            except ApiError as exc:
                raise exc.wrap(f"Failed to access pipeline . Check if you have access to namespace "
                               f"{namespace}").wrap(
                    "Failed to list pipeline versions due to authorization error. Check if you have read "
                    f"permission to namespace {namespace}") from exc
        except ApiError as exc:
            raise exc.wrap(f"Failed to list pipeline versions for pipeline {pipeline_id}") from exc
        rows, total, token = self.store.list_versions(pipeline_id, query)
        self.write_json(list_json("pipeline_versions", rows, total, token, version_json))

    async def post(self, pipeline_id: str) -> None:
        body = self.body(gateway.PIPELINE_VERSION)
        url = (body.get("package_url") or {}).get("pipeline_url", "")
        if not url:
            raise ApiError(400, "Invalid input error: Failed to create a pipeline version. Package URL is empty",
                           external="Failed to create a pipeline version. Package URL is empty")
        name = body.get("name") or body.get("display_name") or posixpath.basename(urlparse(url).path)
        try:
            self.pipeline_for(pipeline_id, "create")
            data, filename = await fetch_package(url)
            package = read_spec(data, filename)
            row = self.store.create_version(pipeline_id, name, body.get("display_name") or "",
                                            body.get("description") or "", package.pipeline_spec,
                                            package.platform_spec, body.get("code_source_url"), url,
                                            body.get("tags"))
        except ApiError as exc:
            raise exc.wrap("Failed to create a pipeline version. Check error stack") from exc
        self.write_json(version_json(row))


class VersionHandler(_Api):
    def get(self, pipeline_id: str, version_id: str) -> None:
        """KFP reads the version by its id alone: the pipeline id in the path is not checked."""
        try:
            row = self.guarded_version(version_id, "get", "Failed to get a pipeline version due to "
                                                          f"authorization error for pipeline version id {version_id}")
        except ApiError as exc:
            raise exc.wrap(f"Failed to get a pipeline version {version_id}") from exc
        self.write_json(version_json(row))

    def delete(self, pipeline_id: str, version_id: str) -> None:
        try:
            self.guarded_version(version_id, "delete", f"Failed to delete a pipeline version id {version_id} "
                                                       f"due to authorization error for pipeline id {pipeline_id}")
            self.store.delete_version(version_id)
        except ApiError as exc:
            raise exc.wrap(f"Failed to delete a pipeline version id {version_id} under pipeline id "
                           f"{pipeline_id}. Check error stack") from exc
        self.write_json({})


# --- uploads (KFP's hand-written multipart endpoints, their own error format) -----------
def _refused(message: str) -> ApiError:
    """``writeErrorToResponse(w, 400, errors.New(message))``: the sentence and nothing else
    (the cause goes to KFP's log only)."""
    return ApiError(400, message)


def _plain(status: int, message: str) -> ApiError:
    """``http.Error(w, err.Error(), status)``: a text/plain line with the error's chain."""
    return ApiError(status, message, plain=True)


class _Upload(_Api):
    """KFP's ``PipelineUploadServer``: every early failure is one fixed sentence (400), the
    cause only in KFP's log; ``Content-Type: application/json`` is set only just before
    the pipeline is created, so earlier errors go out sniffed as ``text/plain``."""

    error_format = "upload"
    json_committed = False

    def upload_file(self, failure: str) -> tuple[bytes, str]:
        """``r.FormFile``: parses the query (strictly) and the multipart body first."""
        try:
            gateway.parse_query(self.request.query)
        except ApiError as exc:
            raise _refused(failure) from exc
        files = self.request.files.get("uploadfile")
        if not files:
            raise _refused(failure)
        return files[0]["body"], files[0]["filename"]

    def read_file(self, data: bytes, filename: str, failure: str) -> packages.PipelinePackage | None:
        """``ReadPipelineFile``: size, kind and archive problems are ``failure``; a spec
        problem comes later (returned as None here, refused in :meth:`create_spec`)."""
        try:
            return packages.read_package(data, filename)
        except packages.InvalidPackage as exc:
            if exc.stage == "file":
                raise _refused(failure) from exc
            self._spec_problem = exc.reason
            return None

    _spec_problem = ""

    def tags(self) -> dict[str, str] | None:
        """``json.Unmarshal`` into ``map[string]string``: an object of strings (or null)."""
        raw = self.query("tags")
        if not raw:
            return None
        try:
            tags = json.loads(raw)
        except ValueError:
            tags = ...
        if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
            raise _refused("Failed to parse tags query parameter. Expected JSON object with string keys and values")
        return tags or None

    def spec(self, package: packages.PipelinePackage | None) -> packages.PipelinePackage:
        """The template check inside ``CreatePipeline...``: an InvalidArgument whose external
        sentence is the answer (the sandbox's wording of the problem, not KFP's)."""
        if package is None:
            raise ApiError(400, self._spec_problem)
        return package


class UploadHandler(_Upload):
    upload_handler = "uploadPipeline"

    def post(self) -> None:
        data, filename = self.upload_file("Failed to read pipeline from file")
        package = self.read_file(data, filename, "Failed to read a pipeline spec file")
        namespace = self.query("namespace")
        if len(namespace) > MAX_NAMESPACE_LENGTH:
            raise _plain(400, f"Invalid input error: Pipeline.Namespace length cannot exceed {MAX_NAMESPACE_LENGTH}")
        namespace = namespace if self.sandbox.multi_user else ""
        try:
            self.authorize_upload(namespace)
        except ApiError as exc:
            raise _refused("Failed to create a pipeline") from exc
        name = self.query("name") or self.query("display_name") or filename
        tags = self.tags()
        if len(name) > MAX_NAME_LENGTH:
            raise _plain(400, f"Invalid input error: Pipeline.Name length cannot exceed {MAX_NAME_LENGTH}")
        self.json_committed = True
        package = self.spec(package)
        try:
            pipeline, _ = self.store.create_pipeline_and_version(
                namespace, name, self.query("display_name"), self.query("description"),
                package.pipeline_spec, package.platform_spec, tags)
        except ApiError as exc:
            if exc.status == 409:
                raise ApiError(409, "Failed to create a pipeline and a pipeline version") from exc
            raise
        self.write_json(pipeline_json(pipeline))


class UploadVersionHandler(_Upload):
    upload_handler = "uploadPipelineVersion"

    def post(self) -> None:
        failure = "Failed to create a pipeline version"
        data, filename = self.upload_file(failure)
        package = self.read_file(data, filename, failure)
        pipeline_id = self.query("pipelineid")
        if not pipeline_id:
            raise _refused(failure)
        name = self.query("name") or self.query("display_name") or filename
        if len(name) > MAX_NAME_LENGTH - 1:
            raise _plain(400, f"Invalid input error: PipelineVersion.Name length cannot exceed {MAX_NAME_LENGTH - 1}")
        try:
            pipeline = self.store.get_pipeline(pipeline_id)
        except ApiError as exc:
            raise _refused(failure) from exc
        try:
            self.authorize_upload(pipeline["namespace"])
        except ApiError as exc:
            raise _refused(failure) from exc
        tags = self.tags()
        self.json_committed = True
        package = self.spec(package)
        try:
            row = self.store.create_version(pipeline_id, name, self.query("display_name"),
                                            self.query("description"), package.pipeline_spec,
                                            package.platform_spec, self.query("code_source_url") or None,
                                            None, tags)
        except ApiError as exc:
            if exc.status == 409:
                raise ApiError(409, failure) from exc
            raise
        self.write_json(version_json(row))


# --- experiments -------------------------------------------------------------------------
class ExperimentsHandler(_Api):
    def get(self) -> None:
        query = self.list_query(EXPERIMENTS)
        namespace = self.require_namespace(self.query("namespace"), "listing experiments")
        self.authorize(namespace, "list", "experiments")
        rows, total, token = self.store.list_experiments(namespace, query)
        self.write_json(list_json("experiments", rows, total, token, experiment_json))

    def post(self) -> None:
        body = self.json_body()
        name = body.get("display_name") or body.get("name")
        if not name:
            raise ApiError(400, "Invalid input error: Experiment name is empty. Please specify a valid "
                                "experiment name")
        namespace = self.require_namespace(body.get("namespace", ""), "creating an experiment")
        self.authorize(namespace, "create", "experiments")
        row = self.store.create_experiment(namespace, name, body.get("description", ""))
        self.write_json(experiment_json(row))


class ExperimentHandler(_Api):
    def experiment_for(self, experiment_id: str, verb: str) -> dict[str, Any]:
        row = self.store.get_experiment(experiment_id)
        self.authorize(row["namespace"], verb, "experiments")
        return row

    def get(self, experiment_id: str) -> None:
        self.write_json(experiment_json(self.experiment_for(experiment_id, "get")))

    def delete(self, experiment_id: str) -> None:
        self.experiment_for(experiment_id, "delete")
        self.store.delete_experiment(experiment_id)
        self.write_json({})


class ExperimentStorageHandler(ExperimentHandler):
    def post(self, experiment_id: str, action: str) -> None:
        self.experiment_for(experiment_id, "update")
        self.store.set_experiment_storage(experiment_id, "ARCHIVED" if action == "archive" else "AVAILABLE")
        self.write_json({})


# --- runs --------------------------------------------------------------------------------
class RunsHandler(_Api):
    def get(self) -> None:
        query = self.list_query(RUNS)
        experiment_id = self.query("experiment_id")
        if experiment_id:
            namespace = self.store.get_experiment(experiment_id)["namespace"]
        else:
            namespace = self.require_namespace(self.query("namespace"), "listing runs")
        self.authorize(namespace, "list", "runs")
        rows, total, token = self.store.list_runs(namespace if self.sandbox.multi_user else None,
                                                  experiment_id, query)
        self.write_json(list_json("runs", rows, total, token,
                                  lambda r: run_json(self.store, r, details=False)))

    def post(self) -> None:
        """KFP's CreateRun, in its order: the name (toModelRun: an empty name is an internal
        error, 500), the experiment (multi-user requires one; standalone files the run under
        Default), RBAC, then the pipeline source (any failure to fetch it is a 500 "error
        fetching manifest"), then the inputs (400)."""
        body = self.json_body()
        failure = "Failed to create a new run"
        if not body.get("display_name"):
            raise ApiError(500, f"{failure}: CreateJob(job.ToV2())Failed to create a run due to conversion "
                                "error: InternalServerError: Failed to convert a API run detail to its "
                                "internal representation: Invalid input error: Run name cannot be empty")
        experiment_id = body.get("experiment_id") or ""
        pair = f"{failure}: Failed to create a run due to invalid experimentId and namespace combination"
        if experiment_id:
            try:
                experiment = self.store.get_experiment(experiment_id)
            except ApiError as exc:
                raise exc.wrap(f"{pair}: Failed to fetch namespace for experiment {experiment_id}") from exc
        elif self.sandbox.multi_user:
            raise ApiError(400, f"{pair}: Invalid input error: Experiment id can not be empty in "
                                "multi-user mode")
        else:
            experiment = self.store.default_experiment("")
        try:
            self.authorize(experiment["namespace"], "create", "runs")
        except ApiError as exc:
            raise exc.wrap(f"{failure}: Failed to create a run due to authorization error. Check if you "
                           f"have write permissions to namespace {experiment['namespace']}") from exc
        reference = body.get("pipeline_version_reference") or {}
        inline = body.get("pipeline_spec")
        pipeline_id = reference.get("pipeline_id") or None
        version_id = reference.get("pipeline_version_id") or body.get("pipeline_version_id") or None
        if pipeline_id or version_id:
            spec, pipeline_id, version_id = self._referenced_spec(pipeline_id, version_id)
        elif inline:
            spec = inline
        else:
            raise ApiError(500, f"{failure}: InternalServerError: Failed to create a run due to error "
                                "fetching manifest: Invalid input error: Failed to fetch a template with "
                                "an empty pipeline spec manifest")
        runtime = body.get("runtime_config") or {}
        _check_parameters(spec, runtime.get("parameters") or {})
        row = self.store.create_run(
            experiment["id"], experiment["namespace"], body["display_name"],
            body.get("description", ""), pipeline_id, version_id,
            None if pipeline_id or version_id else inline, runtime or None,
            body.get("service_account") or self.sandbox.default_service_account, spec_for_plan=spec)
        self.write_json(run_json(self.store, row))

    def _referenced_spec(self, pipeline_id, version_id):
        """fetchTemplateFromPipelineSpec: the version (or the pipeline's latest); every
        failure here is wrapped as an internal error, so an unknown id answers 500."""
        fetching = ("Failed to create a new run: InternalServerError: Failed to create a run due to error "
                    "fetching manifest: Failed to fetch a template due to error retrieving pipeline version")
        try:
            if version_id:
                version = self.store.get_version(version_id)
                if pipeline_id and version["pipeline_id"] != pipeline_id:
                    raise ApiError(400, f"Invalid input error: Pipeline version {version_id} belongs to "
                                        f"pipeline {version['pipeline_id']} (not {pipeline_id})")
            else:
                version = self.store.latest_version(pipeline_id)
                if version is None:
                    raise ApiError(404, f"Failed to get the latest pipeline version as pipeline {pipeline_id} "
                                        "has no versions")
        except ApiError as exc:
            source = (f"from pipeline version {version_id}" if version_id else f"from pipeline {pipeline_id}")
            raise ApiError(500, f"{fetching}: Failed to fetch a pipeline version and its manifest "
                                f"{source}: {exc.message}") from exc
        self.pipeline_for(version["pipeline_id"], "get")
        spec = json.loads(version["pipeline_spec"])
        return spec, version["pipeline_id"], version["id"]


_TYPE_CHECKS = {
    "NUMBER_DOUBLE": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                      "requires type double or integer, but the parameter value is not of number value type"),
    "NUMBER_INTEGER": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                       "requires type double or integer, but the parameter value is not of number value type"),
    "STRING": (lambda v: isinstance(v, str), ("requires type string, but the input parameter is not of "
                                                "string value type")),
    "BOOLEAN": (lambda v: isinstance(v, bool), ("requires type bool, but the input parameter is not of bool "
                                                 "value type")),
    "LIST": (lambda v: isinstance(v, list), ("requires type list, but the input parameter is not of list "
                                              "value type")),
    "STRUCT": (lambda v: isinstance(v, dict), ("requires type struct, but the input parameter is not of "
                                                "struct value type")),
}


def _check_parameters(spec: dict[str, Any], given: dict[str, Any]) -> None:
    """KFP's validatePipelineJobInputs (v2_template.go): the first problem only; required
    parameters, then each given value's JSON kind (any number passes for an integer), then
    names the pipeline does not declare."""
    if "pipeline_spec" in spec and "root" not in spec:
        spec = spec["pipeline_spec"]
    params = (((spec.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {})
    prefix = "Failed to create a new run: Failed to generate the ExecutionSpec: invalid pipeline job inputs"
    for name, param in params.items():
        if name not in given:
            if not param.get("isOptional") and "defaultValue" not in param:
                raise ApiError(400, f"{prefix}: parameter {name} is not optional, yet has neither default "
                                    "value nor user provided value")
            continue
        kind = param.get("parameterType", "")
        check = _TYPE_CHECKS.get(kind)
        if check is None:
            raise ApiError(400, f"{prefix}: input parameter {name} has unspecified type")
        if not check[0](given[name]):
            raise ApiError(400, f"{prefix}: input parameter {name} {check[1]}")
    extra = [name for name in given if name not in params]
    if extra:
        raise ApiError(400, f"{prefix}: parameter(s) provided are not required by pipeline: {', '.join(extra)}")


class RunHandler(_Api):
    def run_for(self, run_id: str, verb: str) -> dict[str, Any]:
        row = self.store.get_run(run_id)
        self.authorize(row["namespace"], verb, "runs")
        return row

    def get(self, run_id: str) -> None:
        try:
            row = self.run_for(run_id, "get")
        except ApiError as exc:
            raise exc.wrap("Failed to get a run") from exc
        self.write_json(run_json(self.store, row))

    def delete(self, run_id: str) -> None:
        """Any state: KFP deletes the workflow (ignoring failures) and the row."""
        try:
            self.run_for(run_id, "delete")
        except ApiError as exc:
            raise exc.wrap("Failed to delete a run") from exc
        self.store.delete_run(run_id)
        self.write_json({})


class RunActionHandler(RunHandler):
    """``:terminate`` (PENDING/RUNNING/PAUSED only), ``:retry`` (FAILED only), ``:archive``
    (any), ``:unarchive`` (not while its experiment is archived); each answers ``{}``."""

    FAILURES: ClassVar[dict[str, str]] = {"terminate": "Failed to terminate a run", "retry": "Failed to retry a run",
                "archive": "Failed to archive a run", "unarchive": "Failed to unarchive a run"}

    def post(self, run_id: str, action: str) -> None:
        try:
            self.run_for(run_id, action)
            if action == "terminate":
                self.store.terminate_run(run_id)
            elif action == "retry":
                self.store.retry_run(run_id)
            else:
                self.store.set_run_storage(run_id, "ARCHIVED" if action == "archive" else "AVAILABLE")
        except ApiError as exc:
            raise exc.wrap(self.FAILURES[action]) from exc
        self.write_json({})


_ID = r"([^/:]+)"
# Order matters: fixed paths before the {id} patterns that would swallow them.
API_ROUTES: list[tuple[str, type]] = [
    (r"/healthz", HealthzHandler),
    (r"/pipelines", PipelinesHandler),
    (r"/pipelines/create", PipelineCreateHandler),
    (r"/pipelines/upload", UploadHandler),
    (r"/pipelines/upload_version", UploadVersionHandler),
    (r"/pipelines/names/([^/]+)", PipelineByNameHandler),
    (rf"/pipelines/{_ID}", PipelineHandler),
    (rf"/pipelines/{_ID}/versions", VersionsHandler),
    (rf"/pipelines/{_ID}/versions/{_ID}", VersionHandler),
    (r"/experiments", ExperimentsHandler),
    (rf"/experiments/{_ID}", ExperimentHandler),
    (rf"/experiments/{_ID}:(archive|unarchive)", ExperimentStorageHandler),
    (r"/runs", RunsHandler),
    (rf"/runs/{_ID}", RunHandler),
    (rf"/runs/{_ID}:(terminate|retry|archive|unarchive)", RunActionHandler),
]

API_PREFIXES = ("/apis/v2beta1", "/pipeline/apis/v2beta1")


def routes(sandbox: Any) -> list[tuple[str, type, dict[str, Any]]]:
    """The API under both prefixes: direct KFP and behind the Kubeflow gateway."""
    return [(prefix + path, handler, {"sandbox": sandbox})
            for prefix in API_PREFIXES for path, handler in API_ROUTES]
