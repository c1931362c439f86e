"""Read and validate pipeline packages the way KFP's API server does, before any upload.

Why mirror the server: a package that passes here must not be refused by KFP, and a package
KFP refuses must be refused here with a reason a person can act on. The rules follow the
API server's ``ReadPipelineFile`` (file kinds, archives, the 32 MB limit) and its v2 template
reader (multi-document YAML; exactly one PipelineSpec with ``pipelineInfo.name`` and ``root``,
schema 2.1.0; an optional platform spec document).

Import-cheap on purpose (stdlib + PyYAML + jsonschema): the Jupyter server and the panel's
validate call use it, and the sandbox too; it never imports ``kfp``.

Hostile files are refused, not obeyed: every reader here has a budget. Archives are read as a
stream with a member budget and a budget on the bytes they unpack to; YAML is composed by
PyYAML's own composer (libyaml's C composer recurses without limit and crashes the process on
deep nesting) with a depth budget and a budget on what aliases expand to; and the fields the
extension reads are checked against a JSON Schema of the PipelineSpec message's types, as
KFP's protobuf reader would check them.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

MAX_PACKAGE_BYTES = 32 * 1024 * 1024
SUPPORTED_SCHEMA_VERSION = "2.1.0"
#: Deeper than any compiled pipeline by far; deep enough nesting crashes parsers and encoders.
MAX_DEPTH = 200
#: What aliases may add to a document: a 700-byte "billion laughs" file would otherwise
#: expand to gigabytes as soon as anything walks it (a JSON answer, the summary).
MAX_ALIAS_NODES = 100_000
#: Characters of scalar text aliases may add. Counting values alone let one long string
#: repeated by 50,000 aliases (a 752 KB file) through, and its validate answer was 100 MB
#: of JSON; a compiled pipeline uses no aliases at all, so a few MB is generous.
MAX_ALIAS_CHARS = 4 * 1024 * 1024
#: Tasks, parameters and artifacts a summary sent to the panel lists (each list cut at this
#: many, and ``truncated`` says so): a 32 MB package can hold 800,000 tasks, and its answer
#: must stay a size a browser shows; real pipelines have tens.
MAX_SUMMARY_ITEMS = 1_000
#: Archive members looked at for pipeline.yaml (KFP scans them all; thousands are no package).
MAX_ARCHIVE_MEMBERS = 1_000
#: Bytes an archive may unpack to while it is searched (twice the file limit).
MAX_UNPACKED_BYTES = 2 * MAX_PACKAGE_BYTES

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
    #: ``summarize(pipeline_spec, limit=MAX_SUMMARY_ITEMS)`` when read ``with_summary``: made
    #: where the package was parsed (a worker process), so the server's loop never walks it.
    summary: dict[str, Any] | None = None

    @property
    def display_name(self) -> str:
        info = _get(self.pipeline_spec, "pipelineInfo") or {}
        return str(_get(info, "displayName") or self.name)


_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 30x faster


class _BoundedComposer(Composer):
    """PyYAML's composer with budgets: nesting depth, and the nodes and the scalar text
    aliases add.

    Why PyYAML's Python composer over libyaml's events rather than libyaml's C composer: the
    C one recurses on the C stack and kills the process (segfault) on a deeply nested file.
    Composing in Python costs nothing measurable (the scanning and parsing stay in C)."""

    _depth = 0
    _alias_nodes = 0
    _alias_chars = 0

    def compose_document(self) -> yaml.Node:
        self._depth, self._alias_nodes, self._alias_chars, self._sizes = 0, 0, 0, {}
        try:
            return super().compose_document()
        finally:
            self._sizes = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            nodes, chars = _expanded_size(node, self._sizes)
            self._alias_nodes += nodes
            self._alias_chars += chars
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise InvalidPackage(
                    "The YAML's aliases (*name) repeat anchored content so often that it would "
                    f"expand to more than {MAX_ALIAS_NODES:,} extra values; a compiled pipeline "
                    "has none.")
            if self._alias_chars > MAX_ALIAS_CHARS:
                raise InvalidPackage(
                    "The YAML's aliases (*name) repeat anchored text so often that it would "
                    f"expand to more than {_size(MAX_ALIAS_CHARS)} of extra text; a compiled "
                    "pipeline has no aliases.")
            return node
        if self.check_event(MappingStartEvent, SequenceStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise InvalidPackage(f"The YAML is nested more than {MAX_DEPTH} levels deep; a "
                                     "compiled pipeline is not.")
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def _expanded_size(node: yaml.Node, sizes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """``(nodes, scalar characters)`` that ``node`` stands for once every alias under it is
    expanded: both, because one long string repeated is as costly as many small values
    (memoised per node, iterative: the graph may be deep and shared)."""
    stack = [node]
    while stack:
        current = stack[-1]
        if id(current) in sizes:
            stack.pop()
            continue
        children = _children(current)
        pending = [child for child in children if id(child) not in sizes]
        if pending:
            stack.extend(pending)
            continue
        own = len(current.value) if isinstance(current, yaml.ScalarNode) else 0
        sizes[id(current)] = (1 + sum(sizes[id(child)][0] for child in children),
                              own + sum(sizes[id(child)][1] for child in children))
        stack.pop()
    return sizes[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Yaml12Loader(_BoundedComposer, _CLoader):
    """PyYAML speaks YAML 1.1; KFP's Go reader speaks 1.2. Drop the 1.1-only surprises
    (``on``/``yes`` as booleans, bare dates as timestamps) so both read the same values."""

    def __init__(self, stream: str) -> None:
        _CLoader.__init__(self, stream)
        Composer.__init__(self)


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


def read_package(data: bytes, filename: str, *, with_summary: bool = False) -> PipelinePackage:
    """Validate ``data`` (the uploaded file named ``filename``) and return its pipeline, with
    its (capped) summary if ``with_summary``: the validate answer's, made in the same worker.

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
        summary=summarize(spec, limit=MAX_SUMMARY_ITEMS, checked=True) if with_summary else None,
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
    # The central directory is parsed whole when the archive opens: count its entries first
    # (each starts with this signature), so 400,000 empty members cost milliseconds, not seconds.
    if data.count(b"PK\x01\x02") > MAX_ARCHIVE_MEMBERS:
        raise _too_many_members("zip file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if not members:
                raise InvalidPackage("The zip file is empty; put the pipeline YAML inside it.")
            chosen = next((m for m in members if m.filename == "pipeline.yaml"), members[0])
            _require_yaml_member(chosen.filename, "zip")
            if chosen.is_dir():
                raise InvalidPackage(f"{chosen.filename} in the zip file is not a regular file.")
            _require_unpacked_size(chosen.file_size)
            with archive.open(chosen) as handle:
                raw = handle.read(MAX_PACKAGE_BYTES + 1)  # the header's size may lie
            _require_unpacked_size(len(raw))
            return raw
    except InvalidPackage:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError,
            ValueError, RuntimeError) as exc:
        raise InvalidPackage(f"The zip file is damaged and cannot be read ({_short(exc)}).") from exc


def _from_tarball(data: bytes) -> bytes:
    """KFP's rule (``DecompressPipelineTarball``): the member named pipeline.yaml, else the
    first member. Read as a stream, so nothing is read twice and budgets hold: members
    looked at, and bytes unpacked (a 2 MB file of zeros can unpack to gigabytes)."""
    first: bytes | InvalidPackage | None = None
    try:
        unpacked = _BudgetReader(gzip.GzipFile(fileobj=io.BytesIO(data)), MAX_UNPACKED_BYTES)
        with tarfile.open(fileobj=unpacked, mode="r|") as archive:
            for count, member in enumerate(_members(archive), start=1):
                if count > MAX_ARCHIVE_MEMBERS:
                    raise _too_many_members("tarball")
                if member.name == "pipeline.yaml":
                    return _tar_member(archive, member)
                if count == 1:
                    try:
                        first = _tar_member(archive, member)
                    except InvalidPackage as refusal:  # only if no pipeline.yaml follows
                        first = refusal
    except InvalidPackage:
        raise
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError, zlib.error, ValueError) as exc:
        raise InvalidPackage(f"The tarball is damaged and cannot be read ({_short(exc)}).") from exc
    if first is None:
        raise InvalidPackage("The tarball is empty; put the pipeline YAML inside it.")
    if isinstance(first, InvalidPackage):
        raise first
    return first


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    _require_yaml_member(member.name, "tarball")
    if not member.isreg():
        raise InvalidPackage(f"{member.name} in the tarball is not a regular file (a link or a "
                             "folder); put the YAML itself there.")
    _require_unpacked_size(member.size)
    handle = archive.extractfile(member)
    return handle.read(MAX_PACKAGE_BYTES + 1) if handle is not None else b""


def _members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Members one at a time without keeping them (``getmembers`` holds every header)."""
    while True:
        member = archive.next()
        if member is None:
            return
        archive.members = []  # a stream is read once: the list only grows
        yield member


class _BudgetReader(io.RawIOBase):
    """A readable stream that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw, self._left = raw, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        self._left -= n
        if self._left < 0:
            raise InvalidPackage(
                f"The archive unpacks to more than {_size(MAX_UNPACKED_BYTES)} before the pipeline "
                "file is found; KFP reads at most a 32 MB pipeline file from it.",
                code="package_too_large", stage="file")
        return n


def _too_many_members(kind: str) -> InvalidPackage:
    return InvalidPackage(f"The {kind} holds more than {MAX_ARCHIVE_MEMBERS:,} files; a pipeline "
                          "package holds one YAML file (pipeline.yaml).", stage="file")


def _short(exc: BaseException) -> str:
    return str(exc)[:200]


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
        documents = [json.loads(text)] if text.strip() else []
    except json.JSONDecodeError:
        return _yaml_documents(text)  # KFP reads JSON with its YAML reader too
    except RecursionError:
        raise InvalidPackage(f"The JSON is nested more than {MAX_DEPTH} levels deep; a compiled "
                             "pipeline is not.") from None
    for document in documents:
        _require_depth(document)
    return documents


def _require_depth(value: Any) -> None:
    """JSON has no aliases, only depth to watch (iterative: the value may be deep)."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, (dict, list)):
            if depth >= MAX_DEPTH:
                raise InvalidPackage(f"The JSON is nested more than {MAX_DEPTH} levels deep; a "
                                     "compiled pipeline is not.")
            items = current.values() if isinstance(current, dict) else current
            stack.extend((item, depth + 1) for item in items)


def _yaml_documents(text: str) -> list[Any]:
    try:
        return list(yaml.load_all(text, Loader=_Yaml12Loader))
    except InvalidPackage:
        raise
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidPackage(f"The file is not valid YAML{line}: {_short(problem)}.") from exc
    except (RecursionError, TypeError, ValueError) as exc:  # e.g. a mapping used as a key
        raise InvalidPackage(f"The file is not a YAML pipeline spec: {_short(exc)}.") from exc


def load_yaml(text: str) -> list[Any]:
    """Every document of ``text``, read as packages are (the nesting and alias budgets, YAML 1.2
    scalars), for other YAML a person sends (Kubernetes manifests to apply): plain
    ``yaml.safe_load_all`` overflows the stack on deep nesting and expands alias bombs.
    Raises InvalidPackage; its ``__cause__`` is the ``yaml.YAMLError`` for text that is not YAML."""
    return _yaml_documents(text)


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
            _check_types(doc)
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


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def _message(**fields: Any) -> dict[str, Any]:
    """A protobuf message in JSON: each field under its JSON (camel) and proto (snake) name."""
    properties: dict[str, Any] = {}
    for camel, schema in fields.items():
        properties[camel] = properties[_snake(camel)] = schema
    return {"type": "object", "properties": properties}


def _map_of(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": schema}


_STRING: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_ENUM: dict[str, Any] = {"type": ["string", "integer"]}  # protobuf JSON: the name or the number
_INPUTS = _message(
    parameters=_map_of(_message(parameterType=_ENUM, type=_ENUM, isOptional=_BOOL, description=_STRING)),
    artifacts=_map_of(_message(artifactType=_message(schemaTitle=_STRING, schemaVersion=_STRING),
                               isOptional=_BOOL, isArtifactList=_BOOL, description=_STRING)),
)
_TASK = _message(
    taskInfo=_message(name=_STRING), componentRef=_message(name=_STRING),
    dependentTasks={"type": "array", "items": _STRING},
    triggerPolicy=_message(condition=_STRING, strategy=_ENUM),
    parameterIterator={"type": "object"}, artifactIterator={"type": "object"},
    inputs={"type": "object"}, cachingOptions={"type": "object"}, retryPolicy={"type": "object"},
)
_COMPONENT = _message(inputDefinitions=_INPUTS, outputDefinitions={"type": "object"},
                      dag=_message(tasks=_map_of(_TASK), outputs={"type": "object"}),
                      executorLabel=_STRING)
#: The typed fields of KFP's PipelineSpec message (pipeline_spec.proto) that this extension
#: reads. KFP decodes a package into that message and refuses a wrong type; deploymentSpec is
#: a free-form Struct there, so it is only required to be an object.
PIPELINE_SPEC_SCHEMA: dict[str, Any] = _message(
    pipelineInfo=_message(name=_STRING, displayName=_STRING, description=_STRING),
    root=_COMPONENT, components=_map_of(_COMPONENT), deploymentSpec={"type": "object"},
    schemaVersion=_STRING, sdkVersion=_STRING, defaultPipelineRoot=_STRING,
)
_SPEC_VALIDATOR = jsonschema.Draft202012Validator(PIPELINE_SPEC_SCHEMA)
_A = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
      "integer": "a whole number"}


def _check_types(doc: dict[str, Any]) -> None:
    """Refuse a spec whose typed fields hold the wrong kind of value, naming the field."""
    error = jsonschema.exceptions.best_match(_SPEC_VALIDATOR.iter_errors(doc))
    if error is None:
        return
    where = ".".join(str(part) for part in error.absolute_path) or "the spec"
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        expected = " or ".join(_A.get(str(kind), str(kind)) for kind in wanted)
        raise InvalidPackage(f"In the pipeline spec, {_short(where)} must be {expected}.")
    raise InvalidPackage(f"In the pipeline spec, {_short(where)} is not valid.")


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
    return mapping.get(_snake_cached(camel))


@functools.lru_cache(maxsize=256)
def _snake_cached(camel: str) -> str:
    """``_snake`` for the few field names ``_get`` reads: a regex per lookup was a third of
    summarizing 8,000 tasks."""
    return _snake(camel)


def summarize(pipeline_spec: dict[str, Any], *, limit: int | None = None,
              checked: bool = False) -> dict[str, Any]:
    """What the panel's detail view shows: parameters (with type, default, optional) and the
    root DAG's tasks in dependency order with the tasks each one waits for. Raises
    InvalidPackage for a spec whose fields have the wrong types (a KFP answer may hold one).

    ``limit`` cuts each list (tasks after ordering them all) for an answer sent to the panel,
    setting ``truncated``; the run form and run graph read every parameter and task, so the
    default is no limit. ``checked``: the caller has run the type check on this very spec
    (``read_package``), so it is not run twice."""
    if not checked:
        _check_types(pipeline_spec)
    info = _get(pipeline_spec, "pipelineInfo") or {}
    root = _get(pipeline_spec, "root") or {}
    inputs = _get(root, "inputDefinitions") or {}
    parameters = []
    for name, param in sorted((_get(inputs, "parameters") or {}).items(), key=_by_key):
        has_default = "defaultValue" in param or "default_value" in param
        parameters.append({
            "name": str(name),
            "type": parameter_type(param),
            "default": _get(param, "defaultValue") if has_default else None,
            "has_default": has_default,
            "optional": bool(_get(param, "isOptional")) or has_default,
            "description": _get(param, "description") or "",
        })
    artifacts = [
        {"name": str(name), "type": ((_get(art, "artifactType") or {}).get("schemaTitle") or "")}
        for name, art in sorted((_get(inputs, "artifacts") or {}).items(), key=_by_key)
    ]
    components = _get(pipeline_spec, "components") or {}
    # deploymentSpec is a free-form Struct in KFP's message: read it defensively.
    executors = _mapping(_get(_get(pipeline_spec, "deploymentSpec") or {}, "executors"))
    tasks = []
    for name, task in ((_get(root, "dag") or {}).get("tasks") or {}).items():
        component_name = (_get(task, "componentRef") or {}).get("name", "")
        component = components.get(component_name) or {}
        executor = _mapping(executors.get(_get(component, "executorLabel") or ""))
        condition = (_get(task, "triggerPolicy") or {}).get("condition")
        tasks.append({
            "name": str(name),
            "display_name": (_get(task, "taskInfo") or {}).get("name") or str(name),
            "component": component_name,
            "dependencies": sorted(_get(task, "dependentTasks") or []),
            "kind": _task_kind(component, executor),
            "image": _mapping(executor.get("container")).get("image") or None,
            "condition": condition or None,
            "loop": bool(_get(task, "parameterIterator") or _get(task, "artifactIterator")),
        })
    ordered = _in_dependency_order(tasks)
    counts = {"tasks": len(ordered), "parameters": len(parameters), "artifacts": len(artifacts)}
    truncated = limit is not None and max(counts.values()) > limit
    if truncated:
        parameters, artifacts, ordered = parameters[:limit], artifacts[:limit], ordered[:limit]
    listed = {t["name"] for t in ordered}
    return {
        "name": info.get("name", ""),
        "display_name": _get(info, "displayName") or info.get("name", ""),
        "description": info.get("description", ""),
        "schema_version": _get(pipeline_spec, "schemaVersion") or "",
        "sdk_version": _get(pipeline_spec, "sdkVersion") or "",
        "parameters": parameters,
        "artifacts": artifacts,
        "tasks": ordered,
        # Whether a list was cut at ``limit``; ``counts`` are the spec's, before any cut.
        "truncated": truncated,
        "counts": counts,
        # The root DAG as a graph (what a DAG view draws): a node per task, an edge per
        # "waits for", from the task waited for to the one that waits.
        "dag": {
            "nodes": [{"id": t["name"], "label": t["display_name"], "kind": t["kind"]} for t in ordered],
            "edges": [{"from": d, "to": t["name"]} for t in ordered for d in t["dependencies"]
                      if d in listed],
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


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _by_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _task_kind(component: dict[str, Any], executor: dict[str, Any]) -> str:
    if "dag" in component:
        return "dag"
    for kind in ("container", "importer", "resolver"):
        if kind in executor:
            return kind
    return "unknown"


def _in_dependency_order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topological order, ties by name, so the view reads top to bottom; a cycle (never
    produced by the compiler) keeps the rest in name order instead of failing.

    Kahn's algorithm in rounds: every task ready in a round, by name, then the ones they
    freed. When nothing is ready (a cycle), the first waiting task by name goes alone. Linear
    in tasks and dependencies (plus the sorting): rescanning every waiting task per round, as
    before, took 3.9 s for a chain of 8,000 tasks."""
    by_name = {t["name"]: t for t in tasks}
    waits_for = {name: {d for d in t["dependencies"] if d in by_name} for name, t in by_name.items()}
    freed_by: dict[str, list[str]] = {name: [] for name in by_name}
    for name, deps in waits_for.items():
        for dep in deps:
            freed_by[dep].append(name)
    left = {name: len(deps) for name, deps in waits_for.items()}
    by_name_order = sorted(by_name, reverse=True)  # popped from the end: the next name first
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    ready = sorted(name for name, count in left.items() if not count)
    while len(done) < len(by_name):
        if not ready:  # a cycle: the first task by name that is still waiting
            while by_name_order[-1] in done:
                by_name_order.pop()
            ready = [by_name_order.pop()]
        freed = []
        for name in ready:
            done.add(name)
            ordered.append(by_name[name])
        for name in ready:
            for waiter in freed_by[name]:
                left[waiter] -= 1
                if not left[waiter] and waiter not in done:
                    freed.append(waiter)
        ready = sorted(freed)
    return ordered
