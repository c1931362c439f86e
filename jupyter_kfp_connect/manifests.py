"""Kubernetes-native pipelines: export a version as ``Pipeline`` + ``PipelineVersion`` manifests,
and apply them to a cluster through the Kubernetes API.

Why both: with KFP's Kubernetes store (KEP-11551, KFP 2.14+) pipelines are objects a GitOps
team keeps in Git and applies with Argo CD or kubectl; a notebook user should get those files
from what they built, and, where their RBAC allows, put them on the cluster directly.

- **Export** writes exactly what ``kfp.compiler.Compiler(kubernetes_manifest_format=True)``
  writes, by calling kfp's own writer (``write_pipeline_spec_to_file``) in a worker thread
  (``import kfp`` costs half a second and never runs at start-up). One addition: when the
  version's object name is ``{pipeline}-{version}`` (as KFP names versions it creates), the
  version's own name goes in ``spec.versionName`` so KFP's REST API shows it unchanged.
  Names that Kubernetes would refuse are replaced by valid ones (reported in ``renamed``);
  the human text stays in ``displayName``.
- **Apply** uses the ``kubernetes`` client, in a worker thread: a ``SelfSubjectAccessReview``
  first (may this identity create and update both kinds here?), then create, or update what
  is already there. A PipelineVersion's spec is immutable in KFP (its validating webhook): a
  changed spec under an existing name is refused with the fix (a new version name), never
  forced. The token file is re-read for every apply.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, replace
from typing import Any

import yaml

from . import k8s_names, packages, problems, untrusted_json
from .errors import KFPConnectError
from .kfp_paths import kfp_id
from .pipelines import PipelinesService, validate

API_VERSION = "pipelines.kubeflow.org/v2beta1"
GROUP, VERSION = API_VERSION.split("/")
PLURALS = {"Pipeline": "pipelines", "PipelineVersion": "pipelineversions"}
IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
#: (connect, read) seconds for each Kubernetes API call.
KUBE_TIMEOUT = (5.0, 30.0)
#: What apply needs on both kinds.
NEEDED_VERBS = ("create", "update")


# --- where the Kubernetes API is -----------------------------------------------------------------

@dataclass(frozen=True)
class KubeTarget:
    """The Kubernetes API and the token file that identifies us to it (never the token)."""

    host: str
    token_path: str
    ca_cert: str = ""

    @property
    def verify_ssl(self) -> bool:
        return self.host.startswith("https:")


def kube_target(api: str = "", token_path: str = "", ca_cert: str = "",
                environ: Any = None) -> KubeTarget | None:
    """From the settings, else the pod's in-cluster API; None outside a cluster."""
    env = os.environ if environ is None else environ
    host = api.rstrip("/")
    if not host and env.get("KUBERNETES_SERVICE_HOST"):
        service = env["KUBERNETES_SERVICE_HOST"]
        if ":" in service:  # IPv6
            service = f"[{service}]"
        host = f"https://{service}:{env.get('KUBERNETES_SERVICE_PORT', '443')}"
    if not host:
        return None
    ca = ca_cert or (IN_CLUSTER_CA if os.path.exists(IN_CLUSTER_CA) else "")
    return KubeTarget(host=host, token_path=token_path or IN_CLUSTER_TOKEN, ca_cert=ca)


def no_kubernetes_problem() -> KFPConnectError:
    return KFPConnectError(
        "no_kubernetes_api", "This server knows no Kubernetes API to apply the manifests to.",
        fix="Run JupyterLab in the cluster (a Kubeflow notebook), or set "
            "c.KFPConnect.kubernetes_api and c.KFPConnect.kubernetes_token_path; or export the "
            "manifests and apply them with kubectl or your GitOps repository.",
        status=409)


# --- export ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ManifestNames:
    pipeline: str
    pipeline_display: str
    version: str
    version_display: str
    namespace: str = ""
    description: str = ""


def valid_names(names: ManifestNames) -> tuple[ManifestNames, list[dict[str, str]]]:
    """Names Kubernetes accepts; what was changed, for the caller to show."""
    renamed = []
    pipeline, version = names.pipeline, names.version
    if not k8s_names.is_valid(pipeline):
        pipeline = k8s_names.propose(pipeline)
        renamed.append({"field": "pipeline", "from": names.pipeline, "to": pipeline})
    if not k8s_names.is_valid(version):
        version = k8s_names.propose(version, limit=k8s_names.MAX_VERSION_NAME)
        renamed.append({"field": "version", "from": names.version, "to": version})
    room = k8s_names.MAX_NAME - len(pipeline) - 1
    if pipeline != version and len(version) > room:
        shorter = k8s_names.propose(version, limit=max(room, 1))
        renamed.append({"field": "version", "from": version, "to": shorter})
        version = shorter
    return replace(names, pipeline=pipeline, version=version), renamed


def write_manifests(pipeline_spec: dict[str, Any], platform_spec: dict[str, Any] | None,
                    names: ManifestNames, include_pipeline: bool = True) -> str:
    """The YAML kfp's compiler writes for ``kubernetes_manifest_format`` (blocking: imports
    kfp; call it in a thread)."""
    from google.protobuf import json_format
    from kfp.compiler import KubernetesManifestOptions
    from kfp.compiler.pipeline_spec_builder import write_pipeline_spec_to_file
    from kfp.pipeline_spec import pipeline_spec_pb2

    spec = json_format.ParseDict(pipeline_spec, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=True)
    platform = json_format.ParseDict(platform_spec or {}, pipeline_spec_pb2.PlatformSpec(),
                                     ignore_unknown_fields=True)
    object_name = k8s_names.version_object_name(names.pipeline, names.version)
    options = KubernetesManifestOptions(
        pipeline_name=names.pipeline, pipeline_display_name=names.pipeline_display,
        pipeline_version_name=object_name, pipeline_version_display_name=names.version_display,
        namespace=names.namespace or None, include_pipeline_manifest=include_pipeline)
    with tempfile.TemporaryDirectory(prefix="kfp-connect-") as folder:
        path = os.path.join(folder, "manifests.yaml")
        write_pipeline_spec_to_file(spec, names.description or None, platform, path,
                                    kubernetes_manifest_options=options, kubernetes_manifest_format=True)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    if object_name == names.version:
        return text
    documents = list(yaml.safe_load_all(text))
    for doc in documents:
        if doc.get("kind") == "PipelineVersion":
            doc["spec"]["versionName"] = names.version
    return yaml.safe_dump_all(documents, sort_keys=True)


def kfp_has_manifest_writer() -> bool:
    try:
        from kfp.compiler import KubernetesManifestOptions  # noqa: F401
    except ImportError:
        return False
    return True


def _written(pipeline_spec: dict[str, Any], platform_spec: dict[str, Any] | None,
             names: ManifestNames, include_pipeline: bool) -> tuple[str, list[dict[str, Any]]]:
    """The manifests and the objects they hold (blocking: a worker thread). The listing
    re-reads up to 32 MB of YAML, which would hold the event loop for seconds."""
    text = write_manifests(pipeline_spec, platform_spec, names, include_pipeline)
    documents = [{"kind": d.get("kind"), "name": (d.get("metadata") or {}).get("name")}
                 for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return text, documents


def _export_answer(text: str, documents: list[dict[str, Any]], names: ManifestNames,
                   renamed: list[dict[str, str]]) -> dict[str, Any]:
    return {"yaml": text, "filename": f"{names.pipeline}-{names.version}.k8s.yaml"
            if names.pipeline != names.version else f"{names.pipeline}.k8s.yaml",
            "documents": documents, "renamed": renamed, "namespace": names.namespace,
            "names": {"pipeline": names.pipeline, "pipeline_display_name": names.pipeline_display,
                      "version": names.version, "version_display_name": names.version_display}}


async def render(pipeline_spec: dict[str, Any], platform_spec: dict[str, Any] | None,
                 names: ManifestNames, include_pipeline: bool = True) -> dict[str, Any]:
    names, renamed = valid_names(names)
    try:
        text, documents = await asyncio.to_thread(_written, pipeline_spec, platform_spec, names,
                                                  include_pipeline)
    except ImportError as err:
        raise KFPConnectError(
            "kfp_too_old", f"The installed kfp cannot write Kubernetes manifests ({err}).",
            fix="Install kfp 2.14 or newer where JupyterLab runs (pip install 'kfp>=2.14').",
            status=501) from err
    return _export_answer(text, documents, names, renamed)


class ManifestsService:
    """Export and apply for one user's connection (build one per request)."""

    def __init__(self, connection: Any, target: KubeTarget | None = None) -> None:
        self.connection = connection
        self.target = target
        self.pipelines = PipelinesService(connection)

    def _namespace(self, namespace: str) -> str:
        return (namespace or getattr(self.connection, "namespace", "") or "").strip()

    async def export_package(self, data: bytes, filename: str, *, name: str = "",
                             display_name: str = "", version_name: str = "",
                             version_display_name: str = "", description: str = "",
                             namespace: str = "", include_pipeline: bool = True) -> dict[str, Any]:
        """A compiled package (a file, or a kernel's compiled function) as manifests."""
        package = await validate(data, filename)
        pipeline = (name or package.name).strip()
        # A name the person typed is the human text (kept as display name if it gets renamed).
        display = (display_name or name or package.display_name or pipeline).strip()
        version = (version_name or pipeline).strip()
        names = ManifestNames(pipeline, display, version,
                              (version_display_name or (display if version == pipeline else version)).strip(),
                              self._namespace(namespace), description or package.description)
        return await render(package.pipeline_spec, package.platform_spec, names, include_pipeline)

    async def export_version(self, pipeline_id: str, version_id: str = "", *, namespace: str = "",
                             include_pipeline: bool = True) -> dict[str, Any]:
        """A version stored in KFP (the newest when ``version_id`` is empty) as manifests.
        Both ids are checked before the first call: they become KFP URL segments."""
        pipeline_id = kfp_id(pipeline_id)
        version_id = kfp_id(version_id, "pipeline version") if version_id else ""
        pipeline = await self.pipelines._call("GET", f"pipelines/{pipeline_id}")
        if not version_id:
            page = await self.pipelines._call("GET", f"pipelines/{pipeline_id}/versions",
                                              params={"page_size": 1, "sort_by": "created_at desc"})
            items = page.get("pipeline_versions") or []
            if not items:
                raise KFPConnectError("not_found", "This pipeline has no versions to export.", status=404)
            version_id = _id_from_kfp(items[0].get("pipeline_version_id"),
                                      f"GET pipelines/{pipeline_id}/versions",
                                      "pipeline_versions.0.pipeline_version_id")
        version = await self.pipelines._call("GET", f"pipelines/{pipeline_id}/versions/{version_id}")
        stored = version.get("pipeline_spec")
        if not isinstance(stored, dict):
            raise KFPConnectError("kfp_error", "KFP returned this version without its pipeline spec.",
                                  status=502)
        platform = None
        if "root" not in stored and isinstance(stored.get("pipeline_spec"), dict):
            stored, platform = stored["pipeline_spec"], stored.get("platform_spec")
        pname = pipeline.get("name") or pipeline.get("display_name") or ""
        vname = version.get("name") or version.get("display_name") or pname
        names = ManifestNames(
            pname, pipeline.get("display_name") or pname, vname, version.get("display_name") or vname,
            self._namespace(namespace or pipeline.get("namespace") or ""),
            version.get("description") or pipeline.get("description") or "")
        answer = await render(stored, platform, names, include_pipeline)
        answer["source"] = {"pipeline_id": pipeline_id, "version_id": version_id}
        return answer

    async def export_named(self, pipeline: str, version: str = "", *, namespace: str = "",
                           include_pipeline: bool = True) -> dict[str, Any]:
        """A version found by the pipeline's name (private first, then shared) or id, and the
        version's name or id (the newest when empty)."""
        found = await self.pipelines.find_by_name(pipeline, self._namespace(namespace))
        found = found or await self.pipelines.find_by_name(pipeline, "")
        pipeline_id = found["pipeline_id"] if found else pipeline
        version_id = ""
        if version:
            named = await self.pipelines.find_version_by_name(pipeline_id, version)
            version_id = named["pipeline_version_id"] if named else version
        return await self.export_version(pipeline_id, version_id, namespace=namespace,
                                         include_pipeline=include_pipeline)

    # --- apply ---------------------------------------------------------------------------
    async def access(self, namespace: str) -> dict[str, Any]:
        """May this server's Kubernetes identity create and update both kinds in ``namespace``?"""
        namespace = self._namespace(namespace)
        if self.target is None:
            return {"available": False, "allowed": False, "namespace": namespace, "checks": [],
                    "problem": no_kubernetes_problem().problem.to_json()}
        if not namespace:
            raise _no_namespace()
        checks = await asyncio.to_thread(_access_checks, self.target, namespace)
        return {"available": True, "allowed": all(c["allowed"] for c in checks), "namespace": namespace,
                "checks": checks, "kubernetes_api": self.target.host}

    async def apply(self, text: str, namespace: str = "") -> dict[str, Any]:
        """Create or update the objects in ``text`` (manifests as export writes them)."""
        if self.target is None:
            raise no_kubernetes_problem()
        namespace = self._namespace(namespace)
        if not namespace:
            raise _no_namespace()
        documents = await asyncio.to_thread(parse_manifests, text)
        results = await asyncio.to_thread(_apply_sync, self.target, documents, namespace)
        return {"namespace": namespace, "results": results, "kubernetes_api": self.target.host}


def _id_from_kfp(value: object, call: str, where: str) -> str:
    """An id KFP answered, checked like one a caller sent: a URL segment of the next call.
    Not a UUID means KFP (or a proxy) answered in another shape: ``kfp_error``, not the
    caller's 400."""
    try:
        return kfp_id(value, "pipeline version")
    except KFPConnectError:
        raise KFPConnectError.from_problem(problems.unexpected_answer(call, where, "a UUID")) from None


def _no_namespace() -> KFPConnectError:
    return KFPConnectError("bad_request", "Kubernetes objects live in a namespace, and none is chosen.",
                           fix="Pick a namespace in the panel's namespace picker, or pass one.", status=400)


def parse_manifests(text: str) -> list[dict[str, Any]]:
    """Pipeline / PipelineVersion documents, Pipelines first; anything else is refused."""
    if len(text.encode("utf-8", "ignore")) > packages.MAX_PACKAGE_BYTES:
        raise KFPConnectError("package_too_large", "The manifests are larger than 32 MB.", status=413)
    try:
        documents = [d for d in packages.load_yaml(text) if d is not None]
    except packages.InvalidPackage as err:
        if isinstance(err.__cause__, yaml.YAMLError):
            raise KFPConnectError("invalid_manifests", f"The manifests are not valid YAML: {err.__cause__}",
                                  status=400) from None
        # nested too deeply or aliases that expand too far: hostile, not exported manifests
        raise KFPConnectError(
            "bad_request", f"The manifests cannot be applied: {err.reason}",
            fix="Apply manifests as export writes them (no aliases, no deep nesting), or export "
                "them again from the pipeline version.", status=400) from None
    for doc in documents:
        if not isinstance(doc, dict) or doc.get("apiVersion") != API_VERSION or doc.get("kind") not in PLURALS:
            kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
            raise KFPConnectError(
                "invalid_manifests", f"Only {API_VERSION} Pipeline and PipelineVersion objects can be "
                f"applied here, not {kind!r}.", fix="Export the manifests from a pipeline version.", status=400)
        if not (doc.get("metadata") or {}).get("name"):
            raise KFPConnectError("invalid_manifests", f"A {doc['kind']} has no metadata.name.", status=400)
    if not documents:
        raise KFPConnectError("invalid_manifests", "There is nothing to apply.", status=400)
    return sorted(documents, key=lambda d: d["kind"] != "Pipeline")


# --- the blocking Kubernetes calls (worker threads only) --------------------------------------

def _api_client(target: KubeTarget) -> Any:
    from kubernetes import client

    try:
        with open(target.token_path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except OSError as err:
        raise KFPConnectError(
            "no_kubernetes_token", f"No Kubernetes token at {target.token_path} ({err.strerror}).",
            fix="In a Kubeflow notebook the pod's ServiceAccount token is mounted there; "
                "elsewhere set c.KFPConnect.kubernetes_token_path.", status=503) from None
    config = client.Configuration()
    config.host = target.host
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    config.verify_ssl = target.verify_ssl
    if target.ca_cert:
        config.ssl_ca_cert = target.ca_cert
    return client.ApiClient(config)


def _kube_problem(err: Any, what: str) -> KFPConnectError:
    """A Kubernetes ``Status`` as a Problem a person can act on."""
    try:
        status = untrusted_json.loads(err.body or "{}")
    except (TypeError, ValueError):  # no body, not JSON, or nested too deeply to decode
        status = {}
    if not isinstance(status, dict):
        status = {}
    message = status.get("message") or str(getattr(err, "reason", "") or err)
    code = getattr(err, "status", 0) or 0
    if code == 401:
        return KFPConnectError("kubernetes_unauthorized", f"The Kubernetes API did not accept this "
                               f"server's token while {what}.", fix="Check the token file (it must "
                               "be a live ServiceAccount or user token).", status=401)
    if code == 403:
        return KFPConnectError("kubernetes_forbidden", f"Kubernetes refused {what}: {message}",
                               fix="Ask a namespace owner for the kubeflow-edit role here.", status=403)
    if "immutable" in message:
        return KFPConnectError("version_immutable", f"Kubernetes refused {what}: {message}",
                               fix="A pipeline version never changes once created: export it again with "
                                   "a new version name.", status=409)
    return KFPConnectError("kubernetes_error", f"Kubernetes refused {what}: {message}",
                           status=code if 400 <= code < 500 else 502)


def _access_checks(target: KubeTarget, namespace: str) -> list[dict[str, Any]]:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    with _api_client(target) as api:
        authz = client.AuthorizationV1Api(api)
        checks = []
        for plural in PLURALS.values():
            for verb in NEEDED_VERBS:
                body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                        "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb,
                                                        "group": GROUP, "resource": plural}}}
                try:
                    review = authz.create_self_subject_access_review(body, _request_timeout=KUBE_TIMEOUT)
                except ApiException as err:
                    raise _kube_problem(err, "an access review") from None
                checks.append({"resource": plural, "verb": verb, "allowed": bool(review.status.allowed)})
        return checks


def _apply_sync(target: KubeTarget, documents: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    checks = _access_checks(target, namespace)
    denied = [c for c in checks if not c["allowed"]]
    if denied:
        what = ", ".join(f"{c['verb']} {c['resource']}" for c in denied)
        raise KFPConnectError(
            "kubernetes_forbidden", f"This identity may not {what} in namespace {namespace} "
            "(SelfSubjectAccessReview).", fix="Ask a namespace owner for the kubeflow-edit role, or "
            "hand the exported manifests to whoever deploys to this namespace.", status=403,
            details={"checks": checks, "namespace": namespace})
    results = []
    with _api_client(target) as api:
        objects = client.CustomObjectsApi(api)
        for doc in documents:
            doc = {**doc, "metadata": {**doc["metadata"], "namespace": namespace}}
            kind, name, plural = doc["kind"], doc["metadata"]["name"], PLURALS[doc["kind"]]
            try:
                current = objects.get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name,
                                                               _request_timeout=KUBE_TIMEOUT)
            except ApiException as err:
                if err.status != 404:
                    raise _kube_problem(err, f"reading {kind} {name}") from None
                current = None
            try:
                if current is None:
                    made = objects.create_namespaced_custom_object(GROUP, VERSION, namespace, plural, doc,
                                                                   _request_timeout=KUBE_TIMEOUT)
                    action = "created"
                elif _same_spec(current.get("spec") or {}, doc.get("spec") or {}):
                    made, action = current, "unchanged"
                else:
                    if kind == "PipelineVersion" and not _only_mutable_changed(current.get("spec") or {},
                                                                             doc.get("spec") or {}):
                        raise KFPConnectError(
                            "version_immutable", f"PipelineVersion {name} already exists in {namespace} "
                            "with a different pipeline spec, and versions never change.",
                            fix="Export again with a new version name and apply that.", status=409,
                            details={"name": name, "namespace": namespace})
                    doc["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                    made = objects.replace_namespaced_custom_object(GROUP, VERSION, namespace, plural, name,
                                                                    doc, _request_timeout=KUBE_TIMEOUT)
                    action = "updated"
            except ApiException as err:
                raise _kube_problem(err, f"writing {kind} {name}") from None
            results.append({"kind": kind, "name": name, "action": action,
                            "uid": (made.get("metadata") or {}).get("uid", "")})
    return results


def _same_spec(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return {k: v for k, v in current.items() if v not in ("", None, {}, [])} == \
        {k: v for k, v in wanted.items() if v not in ("", None, {}, [])}


def _only_mutable_changed(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keep = ("displayName", "tags")
    strip = lambda spec: {k: v for k, v in spec.items() if k not in keep and v not in ("", None, {}, [])}  # noqa: E731
    return strip(current) == strip(wanted)
