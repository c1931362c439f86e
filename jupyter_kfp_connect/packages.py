"""Read and validate pipeline packages the way KFP's API server does, before any upload.

Why mirror the server: a package that passes here must not be refused by KFP, and a package
KFP refuses must be refused here with a reason a person can act on. The rules follow the
API server's ``ReadPipelineFile`` (file kinds, archives, the 32 MB limit) and its v2 template
reader (multi-document YAML; exactly one PipelineSpec with ``pipelineInfo.name`` and ``root``,
schema 2.1.0; an optional platform spec document).

Import-cheap on purpose (stdlib + PyYAML): the Jupyter server and the panel's validate call use
it, and the sandbox too; it never imports ``kfp``.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import yaml

MAX_PACKAGE_BYTES = 32 * 1024 * 1024
SUPPORTED_SCHEMA_VERSION = "2.1.0"

# KFP checks the pipeline name against MLMD's rules before it stores a version.
_PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
# Top-level fields of the PipelineSpec message (JSON and proto spellings both parse).
_SPEC_FIELDS = {
    "pipelineInfo", "pipeline_info", "deploymentSpec", "deployment_spec", "sdkVersion",
    "sdk_version", "schemaVersion", "schema_version", "components", "root",
    "defaultPipelineRoot", "default_pipeline_root",
}
_SPEC_STRING_FIELDS = {"sdkVersion", "sdk_version", "schemaVersion", "schema_version",
                       "defaultPipelineRoot", "default_pipeline_root"}
_PIPELINE_INFO_FIELDS = {"name", "displayName", "display_name", "description"}


class InvalidPackage(ValueError):
    """A package KFP would refuse. ``reason`` is one sentence a person can act on;
    ``code`` is ``invalid_package`` or ``package_too_large`` (the extension's error codes).
    ``stage`` says where KFP refuses it: ``"file"`` (reading the upload: size, kind, archive;
    KFP answers 400) or ``"spec"`` (the pipeline inside, found while creating; also 400)."""

    def __init__(self, reason: str, code: str = "invalid_package", stage: str = "spec") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.stage = stage


@dataclass(frozen=True)
class PipelinePackage:
    """A validated package: the parsed IR documents plus the text KFP would store."""

    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any] | None
    name: str
    description: str
    yaml_text: str

    @property
    def display_name(self) -> str:
        info = _get(self.pipeline_spec, "pipelineInfo") or {}
        return str(_get(info, "displayName") or self.name)


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 30x faster
    """PyYAML speaks YAML 1.1; KFP's Go reader speaks 1.2. Drop the 1.1-only surprises
    (``on``/``yes`` as booleans, bare dates as timestamps) so both read the same values."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
for _first in "yYnNoO":
    _Yaml12Loader.yaml_implicit_resolvers[_first] = [
        (tag, rx) for tag, rx in _Yaml12Loader.yaml_implicit_resolvers.get(_first, [])
        if tag != "tag:yaml.org,2002:bool"
    ]


def read_package(data: bytes, filename: str) -> PipelinePackage:
    """Validate ``data`` (the uploaded file named ``filename``) and return its pipeline.

    Raises InvalidPackage with the reason KFP would give, in plainer words."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise InvalidPackage(f"The file is {_size(len(data))}; KFP accepts at most {_size(MAX_PACKAGE_BYTES)}.",
                             code="package_too_large", stage="file")
    try:
        raw = _extract(data, filename)
    except InvalidPackage as exc:
        exc.stage = "file"
        raise
    text = _decode(raw)
    if filename.endswith(".json"):
        documents = _json_documents(text)
    else:
        documents = _yaml_documents(text)
    spec, platform = _pick_documents(documents)
    info = _get(spec, "pipelineInfo") or {}
    return PipelinePackage(
        pipeline_spec=spec,
        platform_spec=platform,
        name=str(_get(info, "name")),
        description=str(_get(info, "description") or ""),
        yaml_text=text,
    )


def _extract(data: bytes, filename: str) -> bytes:
    """The pipeline file's bytes: the file itself, or the YAML inside a .zip / .tar.gz.
    Like KFP, the name decides for YAML/JSON and the magic bytes decide for archives."""
    if filename.endswith((".yaml", ".yml", ".json")):
        return data
    if len(data) > 2 and data[:2] == b"PK":
        return _from_zip(data)
    if len(data) > 2 and data[:2] == b"\x1f\x8b":
        return _from_tarball(data)
    raise InvalidPackage(
        f"{filename or 'The file'} is not a pipeline package: KFP accepts .yaml, .yml, .json, "
        ".zip or .tar.gz files."
    )


def _from_zip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if not members:
                raise InvalidPackage("The zip file is empty; put the pipeline YAML inside it.")
            chosen = next((m for m in members if m.filename == "pipeline.yaml"), members[0])
            _require_yaml_member(chosen.filename, "zip")
            _require_unpacked_size(chosen.file_size)
            return archive.read(chosen)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise InvalidPackage(f"The zip file is damaged and cannot be read ({exc}).") from exc


def _from_tarball(data: bytes) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = archive.getmembers()
            if not members:
                raise InvalidPackage("The tarball is empty; put the pipeline YAML inside it.")
            chosen = next((m for m in members if m.name == "pipeline.yaml"), members[0])
            _require_yaml_member(chosen.name, "tarball")
            handle = archive.extractfile(chosen)
            if handle is None:
                raise InvalidPackage(f"{chosen.name} in the tarball is not a regular file.")
            _require_unpacked_size(chosen.size)
            return handle.read(MAX_PACKAGE_BYTES + 1)
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError, zlib.error) as exc:
        raise InvalidPackage(f"The tarball is damaged and cannot be read ({exc}).") from exc


def _require_unpacked_size(size: int) -> None:
    """A small archive can unpack to gigabytes; like KFP, refuse what exceeds the limit."""
    if size > MAX_PACKAGE_BYTES:
        raise InvalidPackage(
            f"The pipeline file inside the archive unpacks to {_size(size)}; KFP accepts at most "
            f"{_size(MAX_PACKAGE_BYTES)}.", code="package_too_large", stage="file")


def _size(n: int) -> str:
    """32 MB exactly, or bytes where MB would round a refused size down to the limit."""
    mib = n / (1024 * 1024)
    return f"{mib:g} MB" if mib == int(mib) else f"{mib:.1f} MB ({n:,} bytes)"


def _require_yaml_member(name: str, kind: str) -> None:
    if not name.endswith((".yaml", ".yml")):
        raise InvalidPackage(
            f"The {kind} must contain pipeline.yaml (or a .yaml file first); found {name!r}."
        )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidPackage("The file is not UTF-8 text, so it cannot be a pipeline YAML.") from exc


def _json_documents(text: str) -> list[Any]:
    try:
        return [json.loads(text)] if text.strip() else []
    except json.JSONDecodeError:
        return _yaml_documents(text)  # KFP reads JSON with its YAML reader too


def _yaml_documents(text: str) -> list[Any]:
    try:
        return list(yaml.load_all(text, Loader=_Yaml12Loader))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidPackage(f"The file is not valid YAML{line}: {problem}.") from exc


def _pick_documents(documents: list[Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Find the one PipelineSpec document and the optional Kubernetes platform spec."""
    spec: dict[str, Any] | None = None
    platform: dict[str, Any] | None = None
    near_misses: list[str] = []
    for index, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise InvalidPackage(f"YAML document {index} is not a mapping, so it is not a pipeline.")
        if _looks_like_pipeline_spec(doc):
            if spec is not None:
                raise InvalidPackage("The file holds more than one pipeline spec; keep one.")
            _check_pipeline_spec(doc)
            spec = doc
        elif _is_kubernetes_platform_spec(doc):
            if platform is not None:
                raise InvalidPackage("The file holds more than one platform spec; keep one.")
            platform = doc
        else:
            near_misses.append(_why_not_a_spec(doc))
    if spec is None:
        if not any(doc is not None for doc in documents):
            raise InvalidPackage("The file is empty: it holds no pipeline spec.")
        raise InvalidPackage(next((m for m in near_misses if m), _NOT_A_PIPELINE))
    return spec, platform


_NOT_A_PIPELINE = (
    "No KFP v2 pipeline spec found: compile the pipeline with kfp.compiler.Compiler() "
    "(the YAML needs pipelineInfo.name and root)."
)


def _looks_like_pipeline_spec(doc: dict[str, Any]) -> bool:
    """KFP's test: the document parses as a PipelineSpec message (no unknown fields) and has
    a pipeline name and a root component."""
    if not set(doc) <= _SPEC_FIELDS:
        return False
    for key, value in doc.items():
        wanted = str if key in _SPEC_STRING_FIELDS else dict
        if value is not None and not isinstance(value, wanted):
            return False
    info = _get(doc, "pipelineInfo")
    if not isinstance(info, dict) or not set(info) <= _PIPELINE_INFO_FIELDS:
        return False
    return bool(info.get("name")) and isinstance(info.get("name"), str) and _get(doc, "root") is not None


def _check_pipeline_spec(doc: dict[str, Any]) -> None:
    version = _get(doc, "schemaVersion")
    if version != SUPPORTED_SCHEMA_VERSION:
        raise InvalidPackage(
            f"KFP only supports pipeline schema version {SUPPORTED_SCHEMA_VERSION}, but the file "
            f"has {version or 'none'}; compile it with kfp 2.x."
        )
    name = _get(doc, "pipelineInfo")["name"]
    if not _PIPELINE_NAME.match(name):
        raise InvalidPackage(
            f"The pipeline name {name!r} is not allowed: use lowercase letters, digits and '-', "
            "starting with a letter or digit, at most 128 characters."
        )


def _is_kubernetes_platform_spec(doc: dict[str, Any]) -> bool:
    platforms = doc.get("platforms")
    return set(doc) == {"platforms"} and isinstance(platforms, dict) and "kubernetes" in platforms


def _why_not_a_spec(doc: dict[str, Any]) -> str:
    """A precise reason for documents that were meant to be a pipeline."""
    if str(doc.get("apiVersion", "")).startswith("argoproj.io/") and doc.get("kind") == "Workflow":
        return (
            "This is a KFP v1 (Argo Workflow) package; compile the pipeline with kfp 2.x to "
            "get a v2 pipeline spec."
        )
    if "pipelineInfo" not in doc and "pipeline_info" not in doc and "root" not in doc:
        return ""
    unknown = sorted(set(doc) - _SPEC_FIELDS)
    if unknown:
        return f"The pipeline spec has unknown top-level field(s) {', '.join(unknown)}."
    info = _get(doc, "pipelineInfo")
    if not isinstance(info, dict) or not info.get("name"):
        return "The pipeline spec has no name: pipelineInfo.name is empty."
    if not isinstance(info.get("name"), str):
        return "The pipeline spec's pipelineInfo.name must be a string."
    extra = sorted(set(info) - _PIPELINE_INFO_FIELDS)
    if extra:
        return f"pipelineInfo has unknown field(s) {', '.join(extra)}."
    if _get(doc, "root") is None:
        return "The pipeline spec has no root component."
    return "The pipeline spec has a field of the wrong type."


def _get(mapping: dict[str, Any], camel: str) -> Any:
    """Read a proto field by its JSON name or its proto (snake_case) name."""
    if camel in mapping:
        return mapping[camel]
    return mapping.get(re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower())


def summarize(pipeline_spec: dict[str, Any]) -> dict[str, Any]:
    """What the panel's detail view shows: parameters (with type, default, optional) and the
    root DAG's tasks in dependency order with the tasks each one waits for."""
    info = _get(pipeline_spec, "pipelineInfo") or {}
    root = _get(pipeline_spec, "root") or {}
    inputs = _get(root, "inputDefinitions") or {}
    parameters = []
    for name, param in sorted((_get(inputs, "parameters") or {}).items()):
        has_default = "defaultValue" in param or "default_value" in param
        parameters.append({
            "name": name,
            "type": parameter_type(param),
            "default": _get(param, "defaultValue") if has_default else None,
            "has_default": has_default,
            "optional": bool(_get(param, "isOptional")) or has_default,
            "description": _get(param, "description") or "",
        })
    artifacts = [
        {"name": name, "type": ((_get(art, "artifactType") or {}).get("schemaTitle") or "")}
        for name, art in sorted((_get(inputs, "artifacts") or {}).items())
    ]
    components = _get(pipeline_spec, "components") or {}
    executors = (_get(_get(pipeline_spec, "deploymentSpec") or {}, "executors")) or {}
    tasks = []
    for name, task in ((_get(root, "dag") or {}).get("tasks") or {}).items():
        component_name = (_get(task, "componentRef") or {}).get("name", "")
        component = components.get(component_name) or {}
        executor = executors.get(_get(component, "executorLabel") or "") or {}
        condition = (_get(task, "triggerPolicy") or {}).get("condition")
        tasks.append({
            "name": name,
            "display_name": (_get(task, "taskInfo") or {}).get("name") or name,
            "component": component_name,
            "dependencies": sorted(_get(task, "dependentTasks") or []),
            "kind": _task_kind(component, executor),
            "image": ((executor.get("container") or {}).get("image")) or None,
            "condition": condition or None,
            "loop": bool(_get(task, "parameterIterator") or _get(task, "artifactIterator")),
        })
    ordered = _in_dependency_order(tasks)
    return {
        "name": info.get("name", ""),
        "display_name": _get(info, "displayName") or info.get("name", ""),
        "description": info.get("description", ""),
        "schema_version": _get(pipeline_spec, "schemaVersion") or "",
        "sdk_version": _get(pipeline_spec, "sdkVersion") or "",
        "parameters": parameters,
        "artifacts": artifacts,
        "tasks": ordered,
        # The root DAG as a graph (what a DAG view draws): a node per task, an edge per
        # "waits for", from the task waited for to the one that waits.
        "dag": {
            "nodes": [{"id": t["name"], "label": t["display_name"], "kind": t["kind"]} for t in ordered],
            "edges": [{"from": d, "to": t["name"]} for t in ordered for d in t["dependencies"]
                      if any(o["name"] == d for o in ordered)],
        },
    }


#: The IR's older scalar types (``type:`` in kfp 2.0 betas) by their ParameterType names.
_LEGACY_TYPES = {"INT": "NUMBER_INTEGER", "DOUBLE": "NUMBER_DOUBLE", "STRING": "STRING"}


def parameter_type(param: dict[str, Any]) -> str:
    """A root input's ParameterType name (STRING, NUMBER_INTEGER, NUMBER_DOUBLE, BOOLEAN,
    LIST, STRUCT, ...); the pre-2.0 ``type`` field is mapped onto those names."""
    kind = _get(param, "parameterType")
    if kind:
        return str(kind)
    legacy = _get(param, "type")
    return _LEGACY_TYPES.get(str(legacy), str(legacy)) if legacy else "PARAMETER_TYPE_UNSPECIFIED"


def _task_kind(component: dict[str, Any], executor: dict[str, Any]) -> str:
    if "dag" in component:
        return "dag"
    for kind in ("container", "importer", "resolver"):
        if kind in executor:
            return kind
    return "unknown"


def _in_dependency_order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topological order, ties by name, so the view reads top to bottom; a cycle (never
    produced by the compiler) keeps the rest in name order instead of failing."""
    by_name = {t["name"]: t for t in tasks}
    waiting = {t["name"]: {d for d in t["dependencies"] if d in by_name} for t in tasks}
    ordered: list[dict[str, Any]] = []
    while waiting:
        ready = sorted(n for n, deps in waiting.items() if not deps) or sorted(waiting)[:1]
        for name in ready:
            ordered.append(by_name[name])
            del waiting[name]
        for deps in waiting.values():
            deps.difference_update(ready)
    return ordered
