"""The shapes of KFP's answers that the services read, checked before anything reads them.

Why: a proxy, an old or a broken KFP can answer 200 with JSON of another shape
(``{"pipelines": "notalist"}``), and code that trusted it failed with a 500 and a traceback.
The schemas follow KFP's v2beta1 API models (``backend/api/v2beta1/swagger``:
``pipeline.swagger.json``, ``pipeline.upload.swagger.json``, ``run.swagger.json``,
``experiment.swagger.json``); only the fields read here are typed, others pass.
``pipeline_spec`` is a free-form Struct in KFP and is read defensively by ``packages.summarize``.
Add a row to ``_ANSWERS`` with each new call.

The schemas are JSON Schema (``type``, ``properties``, ``items``, ``required``, ``pattern`` only;
``description`` says what a pattern wants) and the test suite checks
them with ``jsonschema``; on the request path they are walked by :func:`_first_mismatch`,
because jsonschema took 6-8 ms per 20-pipeline page here, more than the rest of the handler.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from . import problems
from .errors import KFPConnectError

_STRING = {"type": "string"}
#: Ids the services index (``body["pipeline_id"]``) are ``required``: KFP always sends them
#: (protojson leaves out only empty fields, and an id is never empty).
_PIPELINE = {"type": "object", "required": ["pipeline_id"], "properties": {
    "pipeline_id": _STRING, "name": _STRING, "display_name": _STRING, "description": _STRING,
    "created_at": _STRING, "namespace": _STRING}}
_VERSION = {"type": "object", "required": ["pipeline_version_id"], "properties": {
    "pipeline_id": _STRING, "pipeline_version_id": _STRING, "name": _STRING, "display_name": _STRING,
    "description": _STRING, "created_at": _STRING, "code_source_url": _STRING,
    "pipeline_spec": {"type": ["object", "null"]}}}
#: grpc-gateway writes int64 as a JSON string; total_size is int32 (a number), but be lenient:
#: a string of digits (the services read it with ``int()``).
_PAGE = {"next_page_token": _STRING,
         "total_size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "description": "a count"}}
_PIPELINE_LIST = {"type": "object", "properties": {"pipelines": {"type": ["array", "null"], "items": _PIPELINE}, **_PAGE}}
_VERSION_LIST = {"type": "object", "properties": {
    "pipeline_versions": {"type": ["array", "null"], "items": _VERSION}, **_PAGE}}

# Runs and experiments: run.swagger.json and experiment.swagger.json (v2beta1, KFP 2.17.0).
# Every object the runs service reads a field of is typed, so ``.get`` never meets a str.
_OBJECT = {"type": ["object", "null"]}
_STATUS = {"type": ["object", "null"], "properties": {  # googleRpcStatus
    "code": {"type": ["integer", "null"]}, "message": _STRING, "details": {"type": ["array", "null"]}}}
_RUNTIME_STATUS = {"type": "object", "properties": {  # v2beta1RuntimeStatus
    "update_time": _STRING, "state": _STRING, "error": _STATUS}}
_TASK = {"type": "object", "properties": {  # v2beta1PipelineTaskDetail
    "run_id": _STRING, "task_id": _STRING, "display_name": _STRING, "create_time": _STRING,
    "start_time": _STRING, "end_time": _STRING, "state": _STRING, "error": _STATUS,
    "parent_task_id": _STRING, "pod_name": _STRING,
    "state_history": {"type": ["array", "null"], "items": _RUNTIME_STATUS},
    "child_tasks": {"type": ["array", "null"], "items": {  # PipelineTaskDetailChildTask
        "type": "object", "properties": {"task_id": _STRING, "pod_name": _STRING}}}}}
_RUN = {"type": "object", "properties": {  # v2beta1Run
    "experiment_id": _STRING, "run_id": _STRING, "display_name": _STRING, "storage_state": _STRING,
    "description": _STRING, "pipeline_version_id": _STRING, "pipeline_spec": _OBJECT,
    "pipeline_version_reference": {"type": ["object", "null"], "properties": {
        "pipeline_id": _STRING, "pipeline_version_id": _STRING}},
    "runtime_config": {"type": ["object", "null"], "properties": {
        "parameters": _OBJECT, "pipeline_root": _STRING}},
    "service_account": _STRING, "created_at": _STRING, "scheduled_at": _STRING, "finished_at": _STRING,
    "state": _STRING, "error": _STATUS, "recurring_run_id": _STRING,
    "run_details": {"type": ["object", "null"], "properties": {
        "task_details": {"type": ["array", "null"], "items": _TASK}}},
    "state_history": {"type": ["array", "null"], "items": _RUNTIME_STATUS}}}
_RUN_LIST = {"type": "object", "properties": {"runs": {"type": ["array", "null"], "items": _RUN}, **_PAGE}}
_EXPERIMENT = {"type": "object", "required": ["experiment_id"], "properties": {  # v2beta1Experiment
    "experiment_id": _STRING, "display_name": _STRING, "description": _STRING, "created_at": _STRING,
    "namespace": _STRING, "storage_state": _STRING, "last_run_created_at": _STRING}}
_EXPERIMENT_LIST = {"type": "object", "properties": {
    "experiments": {"type": ["array", "null"], "items": _EXPERIMENT}, **_PAGE}}
#: DELETE and the run actions answer an empty object (``{"type": "object", "properties": {}}``).
_EMPTY = {"type": "object"}

_ID = r"[^/:]+"  # no ':' either: ``runs/{id}:terminate`` is a call of its own
#: (method, path relative to /apis/v2beta1/) -> the answer's schema
_ANSWERS: list[tuple[str, re.Pattern[str], dict[str, Any]]] = [
    (method, re.compile(rf"^{path}$"), schema) for method, path, schema in (
        ("GET", "pipelines", _PIPELINE_LIST),
        ("GET", f"pipelines/names/{_ID}", _PIPELINE),
        ("GET", f"pipelines/{_ID}", _PIPELINE),
        ("GET", f"pipelines/{_ID}/versions", _VERSION_LIST),
        ("GET", f"pipelines/{_ID}/versions/{_ID}", _VERSION),
        ("POST", "pipelines/upload", _PIPELINE),
        ("POST", "pipelines/upload_version", _VERSION),
        ("POST", "pipelines/create", _PIPELINE),
        ("DELETE", f"pipelines/{_ID}", _EMPTY),
        ("DELETE", f"pipelines/{_ID}/versions/{_ID}", _EMPTY),
        ("GET", "runs", _RUN_LIST),
        ("POST", "runs", _RUN),
        ("GET", f"runs/{_ID}", _RUN),
        ("DELETE", f"runs/{_ID}", _EMPTY),
        ("POST", f"runs/{_ID}:(?:terminate|retry|archive|unarchive)", _EMPTY),
        ("GET", "experiments", _EXPERIMENT_LIST),
        ("POST", "experiments", _EXPERIMENT),
        ("GET", f"experiments/{_ID}", _EXPERIMENT),
    )
]
_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None), "integer": int,
}


def schema_for(method: str, path: str) -> dict[str, Any]:
    for wanted_method, pattern, candidate in _ANSWERS:
        if method == wanted_method and pattern.match(path):
            return candidate
    return {"type": "object"}


def check(method: str, path: str, body: Any) -> Any:
    """``body`` if it has the shape KFP's API gives for this call; a ``kfp_error`` otherwise.
    Any JSON object passes a call without a row (DELETE answers ``{}``)."""
    schema = schema_for(method, path)
    if _fits(schema)(body):  # the common case, on the event loop for every answer: no paths built
        return body
    mismatch = _first_mismatch(schema, body, [])
    if mismatch is None:
        return body
    where, wanted = mismatch
    raise KFPConnectError.from_problem(problems.unexpected_answer(f"{method} {path}", where, wanted))


def _types(schema: dict[str, Any]) -> tuple[type, ...] | None:
    kinds = schema.get("type")
    if kinds is None:
        return None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    found: list[type] = []
    for kind in kinds:
        kind_type = _PY_TYPES[kind]
        found.extend(kind_type if isinstance(kind_type, tuple) else (kind_type,))
    return tuple(found)


_FITS: dict[int, Callable[[Any], bool]] = {}


def _fits(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """A yes/no check of ``schema`` built once per schema: what :func:`_first_mismatch` says,
    at a fraction of its cost (a 20-pipeline page took ~0.5 ms of the loop's time there)."""
    found = _FITS.get(id(schema))
    if found is None:
        found = _FITS[id(schema)] = _build_fits(schema)
    return found


def _build_fits(schema: dict[str, Any]) -> Callable[[Any], bool]:
    types = _types(schema)
    no_bool = types is not None and int in types and bool not in types
    properties = [(name, _build_fits(sub)) for name, sub in schema.get("properties", {}).items()]
    items = _build_fits(schema["items"]) if "items" in schema else None
    required = tuple(schema.get("required", ()))
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

    def fits(value: Any) -> bool:
        if types is not None and (not isinstance(value, types) or (no_bool and type(value) is bool)):
            return False
        if pattern is not None and type(value) is str and not pattern.search(value):
            return False
        if required and type(value) is dict and any(name not in value for name in required):
            return False
        if properties and type(value) is dict:
            for name, sub in properties:
                if name in value and not sub(value[name]):
                    return False
        elif items is not None and type(value) is list:
            for item in value:
                if not items(item):
                    return False
        return True

    return fits


def _first_mismatch(schema: dict[str, Any], value: Any, path: list[str]) -> tuple[str, str] | None:
    """(where, expected type) of the first value that does not fit ``schema``, or None."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        fits = any(isinstance(value, _PY_TYPES[k]) and not (k == "integer" and isinstance(value, bool))
                   for k in kinds)
        if not fits:
            return ".".join(path) or "the answer", " or ".join(kinds)
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        return ".".join(path) or "the answer", schema.get("description") or f"text matching {schema['pattern']}"
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                return ".".join([*path, name]), "present"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found = _first_mismatch(sub, value[name], [*path, name])
                if found:
                    return found
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found = _first_mismatch(schema["items"], item, [*path, str(index)])
            if found:
                return found
    return None
