"""The runs service: list, read, start and manage KFP runs, list experiments, and the one
parameter check shared by the Create-run form, ``POST runs`` and ``%kfp run``.

Why a service of its own: the same rules serve the panel, the kernel and the tests, and the
REST shapes the front end draws (a flat Run with names resolved, tasks, a DAG with states,
the actions KFP allows now) are made here, once, from KFP's v2beta1 answers.

Rules that matter:
- One KFP page per list call. KFP lists runs by namespace or experiment and filters by
  state, name and storage state, but not by pipeline (its run model has no such filter
  field): a pipeline filter scans at most :data:`PIPELINE_SCAN_PAGES` KFP pages per call and
  hands back KFP's token to go on from there.
- Names (pipeline, version, experiment) come from a small per-connection cache, so a list
  refresh is one KFP call once the names of what it shows are known.
- Parameters are checked against the version's root input definitions before anything is
  sent: unknown names, wrong types and missing required ones are reported together, each at
  its parameter, with the valid parameters alongside (KFP would name only the first).
- What a person may do with a run follows KFP 2.17: terminate while PENDING, RUNNING or
  PAUSED; retry when FAILED; archive when available; unarchive when archived; delete always.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from . import packages, untrusted_json
from .errors import KFPConnectError
from .kfp_api import KFPApi
from .kfp_paths import kfp_id
from .pipelines import page_size_and_sort

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200  # KFP's ceiling
DEFAULT_SORT = "created_at desc"
SORT_KEYS = ("created_at", "finished_at", "scheduled_at", "display_name", "state", "run_id")
STATES = ("PENDING", "RUNNING", "SUCCEEDED", "SKIPPED", "FAILED", "CANCELING", "CANCELED", "PAUSED",
          "RUNTIME_STATE_UNSPECIFIED")
FINAL_STATES = frozenset({"SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"})
#: KFP's run store terminates a run only in these states (run_store.go TerminateRun).
TERMINABLE = frozenset({"PENDING", "RUNNING", "PAUSED", "RUNTIME_STATE_UNSPECIFIED"})
ACTIONS = ("terminate", "retry", "archive", "unarchive")
PARAMETER_TYPES = ("STRING", "NUMBER_INTEGER", "NUMBER_DOUBLE", "BOOLEAN", "LIST", "STRUCT")
#: KFP pages read per call when filtering by pipeline (KFP cannot): bounded work per request.
PIPELINE_SCAN_PAGES = 3
#: Seconds a resolved name is trusted (pipelines and experiments can be renamed).
NAME_TTL = 300.0
NAME_CACHE_SIZE = 2000
SPEC_CACHE_SIZE = 64
MAX_NAME_LENGTH = 128
_EPOCH = "1970-01-01T00:00:00Z"


# --- the parameter check ------------------------------------------------------------------------

def parameter_specs(pipeline_spec: Any) -> list[dict[str, Any]]:
    """The root input parameters a run takes: ``[{name, type, default, optional, description}]``."""
    if not isinstance(pipeline_spec, dict):
        return []
    if "root" not in pipeline_spec and isinstance(pipeline_spec.get("pipeline_spec"), dict):
        pipeline_spec = pipeline_spec["pipeline_spec"]
    specs = packages.summarize(pipeline_spec)["parameters"]
    for spec in specs:  # the IR stores numbers as doubles: an integer's default 3 reads 3.0
        default = spec.get("default")
        if spec["type"] == "NUMBER_INTEGER" and isinstance(default, float) and default.is_integer():
            spec["default"] = int(default)
    return specs


def _given(body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("parameters")
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise _bad_request("parameters must be a JSON object of name: value.")
    return given


def _describe(spec: dict[str, Any]) -> str:
    kind = _TYPE_WORDS.get(spec["type"], spec["type"].lower())
    if spec.get("has_default"):
        return f"{spec['name']} ({kind}, default {json.dumps(spec['default'])})"
    return f"{spec['name']} ({kind}, {'optional' if spec['optional'] else 'required'})"


_TYPE_WORDS = {"STRING": "string", "NUMBER_INTEGER": "integer", "NUMBER_DOUBLE": "number",
               "BOOLEAN": "boolean", "LIST": "JSON list", "STRUCT": "JSON object"}


def _coerce(kind: str, value: Any) -> Any:
    """``value`` as the JSON value KFP wants for ``kind``; raises ValueError with the reason.
    Text from a form or a command line is read as the type asks (``"3"`` for an integer,
    ``"true"`` for a boolean, JSON text for a list or a struct)."""
    if kind == "STRING":
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            return json.dumps(value)  # 3 typed for a string parameter means "3"
        raise ValueError("expects text, not a list or an object")
    if kind == "NUMBER_INTEGER":
        if isinstance(value, str):
            try:
                value = untrusted_json.loads(value.strip())
            except ValueError:
                raise ValueError(f"expects a whole number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expects a whole number, not {json.dumps(value)}")
        if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
            raise ValueError(f"expects a whole number, not {value}")
        return int(value)
    if kind == "NUMBER_DOUBLE":
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError(f"expects a number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"expects a number, not {json.dumps(value)}")
        return value
    if kind == "BOOLEAN":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise ValueError(f"expects true or false, not {json.dumps(value)}")
        return value
    if kind in ("LIST", "STRUCT"):
        wanted, word = (list, "a JSON list such as [1, 2]") if kind == "LIST" else (
            dict, 'a JSON object such as {"key": "value"}')
        if isinstance(value, str):
            try:
                value = untrusted_json.loads(value)
            except ValueError as err:  # not JSON, or too deep
                raise ValueError(f"expects {word}; the text is not JSON ({err.msg})") from None
        if not isinstance(value, wanted):
            raise ValueError(f"expects {word}")
        return value
    raise ValueError(f"has the type {kind}, which a run cannot set from outside")


def check_parameters(specs: list[dict[str, Any]], given: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """``(values to send to KFP, {name: problem})``: every unknown name, wrong value and missing
    required parameter at once. ``None`` means "not given" (the default applies)."""
    errors: dict[str, str] = {}
    if not isinstance(given, dict):
        return {}, {"": "parameters must be a JSON object of name: value"}
    by_name = {s["name"]: s for s in specs}
    valid = ", ".join(by_name) or "none"
    values: dict[str, Any] = {}
    for name, value in given.items():
        spec = by_name.get(name)
        if spec is None:
            errors[name] = f"not a parameter of this pipeline (its parameters: {valid})"
            continue
        if value is None:
            continue
        try:
            values[name] = _coerce(spec["type"], value)
        except ValueError as err:
            errors[name] = str(err)
    for spec in specs:
        if spec["name"] not in values and spec["name"] not in errors and not spec["optional"]:
            errors[spec["name"]] = "required: this parameter has no default, give it a value"
    return values, errors


def invalid_parameters(specs: list[dict[str, Any]], errors: dict[str, str]) -> KFPConnectError:
    """The 400 ``invalid_parameters``: one line per problem and the valid parameters."""
    lines = "; ".join(f"{name}: {problem}" if name else problem for name, problem in errors.items())
    count = len(errors)
    return KFPConnectError(
        "invalid_parameters",
        f"{count} parameter problem{'s' if count != 1 else ''}: {lines}.",
        fix="Valid parameters: " + (", ".join(_describe(s) for s in specs) or "none (this pipeline takes "
                                    "no parameters)") + ".",
        status=400, details={"errors": errors, "parameters": [_public_spec(s) for s in specs]})


def _public_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec.get(k) for k in ("name", "type", "default", "has_default", "optional", "description")}


# --- requests ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunListRequest:
    """One page request, checked before it reaches KFP so a typo is our 400, not KFP's."""

    page_token: str = ""
    page_size: int = DEFAULT_PAGE_SIZE
    sort_by: str = DEFAULT_SORT
    state: str = ""
    pipeline_id: str = ""
    pipeline_version_id: str = ""
    experiment_id: str = ""
    search: str = ""
    archived: bool = False

    @classmethod
    def parse(cls, *, page_token: str = "", page_size: str | int = "", sort_by: str = "",
              state: str = "", pipeline_id: str = "", pipeline_version_id: str = "",
              experiment_id: str = "", search: str = "", archived: str | bool = "") -> RunListRequest:
        size, sort = page_size_and_sort(page_size, sort_by, SORT_KEYS)
        state = (state or "").strip().upper()
        if state and state not in STATES:
            raise _bad_request(f"state {state!r} is not a KFP run state: use one of {', '.join(STATES)}.")
        if isinstance(archived, str):
            if archived.lower() not in ("", "true", "false", "1", "0"):
                raise _bad_request("archived must be true or false.")
            archived = archived.lower() in ("true", "1")
        return cls(page_token, size, sort, state, pipeline_id.strip(), pipeline_version_id.strip(),
                   experiment_id.strip(), search.strip(), bool(archived))

    def kfp_filter(self) -> str:
        predicates: list[dict[str, Any]] = [{
            "operation": "EQUALS" if self.archived else "NOT_EQUALS", "key": "storage_state",
            "string_value": "ARCHIVED"}]
        if self.state:
            predicates.append({"operation": "EQUALS", "key": "state", "string_value": self.state})
        if self.search:
            predicates.append({"operation": "IS_SUBSTRING", "key": "display_name", "string_value": self.search})
        return json.dumps({"predicates": predicates})


# --- the name cache ------------------------------------------------------------------------------

class _Names:
    """Per-connection names of experiments, pipelines and versions (TTL, bounded), and version
    specs (immutable in KFP, so kept until evicted)."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self.specs: dict[str, Any] = {}

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        hit = self.names.get((kind, key))
        if hit is None or time.monotonic() - hit[0] > NAME_TTL:
            return None
        return hit[1]

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        if len(self.names) >= NAME_CACHE_SIZE:
            for old in sorted(self.names, key=lambda k: self.names[k][0])[: NAME_CACHE_SIZE // 4]:
                del self.names[old]
        self.names[(kind, key)] = (time.monotonic(), value)

    def put_spec(self, version_id: str, spec: Any) -> None:
        if len(self.specs) >= SPEC_CACHE_SIZE:
            self.specs.pop(next(iter(self.specs)))
        self.specs[version_id] = spec


_CACHES: weakref.WeakKeyDictionary[Any, _Names] = weakref.WeakKeyDictionary()


def _names_for(connection: Any) -> _Names:
    try:
        cache = _CACHES.get(connection)
        if cache is None:
            cache = _CACHES[connection] = _Names()
        return cache
    except TypeError:  # not weak-referenceable (a test double): no sharing
        return _Names()


# --- the service ---------------------------------------------------------------------------------

class RunsService:
    """Runs and experiments for one user's connection. Build one per request; the name cache
    lives with the connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.api = KFPApi(connection)
        self.names = _names_for(connection)
        self._ui_base = (getattr(connection, "ui_base", "") or "").rstrip("/")
        #: KFP calls made by this service object (the benchmark reads it)
        self.calls = 0

    # --- reading ---------------------------------------------------------------------------
    async def list(self, request: RunListRequest) -> dict[str, Any]:
        """One KFP page of runs in the namespace (or an experiment), newest first."""
        params = self._list_params(request)
        if request.pipeline_id or request.pipeline_version_id:
            runs, token = await self._scan_for_pipeline(request, params)
            total = None
        else:
            body = await self._call("GET", "runs", params=params)
            runs, token = body.get("runs") or [], body.get("next_page_token") or ""
            total = int(body.get("total_size") or 0)
        await self._resolve_names(runs)
        return {"runs": [self.run_json(r) for r in runs], "next_page_token": token, "total_size": total}

    def _list_params(self, request: RunListRequest, page_size: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"page_size": page_size or request.page_size}
        if request.experiment_id:
            params["experiment_id"] = request.experiment_id
        else:
            namespace = self._namespace()
            if namespace:
                params["namespace"] = namespace
        if request.page_token:
            params["page_token"] = request.page_token  # carries KFP's sort and filter
        else:
            params["sort_by"] = request.sort_by
            params["filter"] = request.kfp_filter()
        return params

    async def _scan_for_pipeline(self, request: RunListRequest,
                                 params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        """KFP cannot filter runs by pipeline: read up to PIPELINE_SCAN_PAGES full pages and
        keep the matches; the token goes on from the first page not read."""
        params = {**params, "page_size": MAX_PAGE_SIZE}
        found: list[dict[str, Any]] = []
        token = ""
        for _ in range(PIPELINE_SCAN_PAGES):
            body = await self._call("GET", "runs", params=params)
            for run in body.get("runs") or []:
                ref = run.get("pipeline_version_reference") or {}
                if request.pipeline_version_id and ref.get("pipeline_version_id") != request.pipeline_version_id:
                    continue
                if request.pipeline_id and ref.get("pipeline_id") != request.pipeline_id:
                    continue
                found.append(run)
            token = body.get("next_page_token") or ""
            if not token or len(found) >= request.page_size:
                break
            params = {k: v for k, v in params.items() if k not in ("sort_by", "filter")}
            params["page_token"] = token
        return found, token

    async def get(self, run_id: str) -> dict[str, Any]:
        """A run with its parameters, tasks, DAG (task states on the spec's graph) and actions."""
        run = await self._call("GET", f"runs/{_seg(run_id)}")
        return await self._detail(run)

    async def _detail(self, run: dict[str, Any]) -> dict[str, Any]:
        await self._resolve_names([run])  # a version's name comes with its spec: cached
        spec = await self._run_spec(run)
        out = self.run_json(run)
        runtime = run.get("runtime_config") or {}
        out["parameters"] = dict(runtime.get("parameters") or {})
        tasks = [_task_json(t) for t in ((run.get("run_details") or {}).get("task_details") or [])]
        out["tasks"] = tasks
        out["dag"] = await asyncio.to_thread(_run_dag, spec, tasks)
        out["actions"] = self.actions(run)
        return out

    async def _run_spec(self, run: dict[str, Any]) -> Any:
        ref = run.get("pipeline_version_reference") or {}
        if ref.get("pipeline_version_id"):
            try:
                return await self._version_spec(ref.get("pipeline_id", ""), ref["pipeline_version_id"])
            except KFPConnectError:
                return None  # the version was deleted: the run's tasks still show, without edges
        return run.get("pipeline_spec")

    def actions(self, run: dict[str, Any]) -> dict[str, bool]:
        state = run.get("state") or "RUNTIME_STATE_UNSPECIFIED"
        archived = run.get("storage_state") == "ARCHIVED"
        return {"terminate": state in TERMINABLE, "retry": state == "FAILED",
                "archive": not archived, "unarchive": archived, "delete": True}

    # --- starting --------------------------------------------------------------------------
    async def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        """The Create-run check without starting anything: ``{ok, errors, parameters}``."""
        spec, _pid, _vid = await self._spec_for(body)
        specs = await asyncio.to_thread(parameter_specs, spec)
        # values may hold JSON text (lists, structs): read off the event loop
        _values, errors = await asyncio.to_thread(check_parameters, specs, _given(body))
        return {"ok": not errors, "errors": errors, "parameters": [_public_spec(s) for s in specs]}

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check, find or make the experiment, start the run; answer the new Run."""
        name = body.get("display_name")
        if not isinstance(name, str) or not name.strip():
            raise KFPConnectError("bad_request", "A run needs a name.", fix="Give the run a name.",
                                  status=400, details={"errors": {"display_name": "required"}})
        if len(name) > MAX_NAME_LENGTH:
            raise KFPConnectError("bad_request", f"A run name has at most {MAX_NAME_LENGTH} characters.",
                                  status=400, details={"errors": {"display_name": "too long"}})
        spec, pipeline_id, version_id = await self._spec_for(body)
        specs = await asyncio.to_thread(parameter_specs, spec)  # a spec may be large
        values, errors = await asyncio.to_thread(check_parameters, specs, _given(body))
        if errors:
            raise invalid_parameters(specs, errors)
        experiment_id = await self._experiment_for(body)
        request: dict[str, Any] = {"display_name": name.strip(),
                                   "description": str(body.get("description") or ""),
                                   "runtime_config": {"parameters": values}}
        if version_id:
            request["pipeline_version_reference"] = {"pipeline_id": pipeline_id, "pipeline_version_id": version_id}
        else:
            request["pipeline_spec"] = spec
        if experiment_id:
            request["experiment_id"] = experiment_id
        if body.get("service_account"):
            request["service_account"] = str(body["service_account"])
        run = await self._call("POST", "runs", json=request)
        await self._resolve_names([run])
        return self.run_json(run)

    async def _spec_for(self, body: dict[str, Any]) -> tuple[Any, str, str]:
        """(pipeline spec, pipeline id, version id) for a version, the pipeline's newest
        version, or an inline ``pipeline_spec`` (a pipeline compiled in a kernel)."""
        if not isinstance(body, dict):
            raise _bad_request("The request body must be a JSON object.")
        pipeline_id = str(body.get("pipeline_id") or "").strip()
        version_id = str(body.get("pipeline_version_id") or "").strip()
        inline = body.get("pipeline_spec")
        if not pipeline_id and not version_id:
            if body.get("pipeline_package") is not None:
                return await _package_spec(body["pipeline_package"]), "", ""
            if isinstance(inline, dict) and (inline.get("root") or isinstance(inline.get("pipeline_spec"), dict)):
                return inline, "", ""
            raise _bad_request("Say which pipeline to run: pipeline_id (and optionally pipeline_version_id), "
                               "a compiled pipeline_spec, or a pipeline_package.")
        if not version_id:
            body_versions = await self._call("GET", f"pipelines/{_seg(pipeline_id)}/versions", params={
                "page_size": 1, "sort_by": "created_at desc"})
            items = body_versions.get("pipeline_versions") or []
            if not items:
                raise KFPConnectError("not_found", "This pipeline has no versions to run.",
                                      fix="Upload a version of it first.", status=404)
            version = items[0]
            version_id = version["pipeline_version_id"]
            self.names.put_spec(version_id, version.get("pipeline_spec"))
            self.names.put("version", version_id, {"name": version.get("display_name") or version.get("name")})
        spec = await self._version_spec(pipeline_id, version_id)
        return spec, pipeline_id, version_id

    async def _version_spec(self, pipeline_id: str, version_id: str) -> Any:
        if version_id in self.names.specs:
            return self.names.specs[version_id]
        version = await self._call("GET", f"pipelines/{_seg(pipeline_id or '-')}/versions/{_seg(version_id)}")
        if pipeline_id and version.get("pipeline_id") and version["pipeline_id"] != pipeline_id:
            raise KFPConnectError("bad_request", f"Version {version_id} belongs to another pipeline.",
                                  status=400)
        self.names.put_spec(version_id, version.get("pipeline_spec"))
        self.names.put("version", version_id, {"name": version.get("display_name") or version.get("name")})
        return version.get("pipeline_spec")

    async def _experiment_for(self, body: dict[str, Any]) -> str:
        """An id given, an experiment found or created by name, or (multi-user KFP requires
        one) the namespace's "Default"; standalone KFP files a run without one under Default."""
        if body.get("experiment_id"):
            return str(body["experiment_id"])
        name = str(body.get("experiment_name") or "").strip()
        if not name:
            if not getattr(self.connection, "multi_user", False):
                return ""
            name = "Default"
        namespace = self._namespace()
        found = await self._call("GET", "experiments", params={
            **({"namespace": namespace} if namespace else {}), "page_size": 1,
            "filter": json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name",
                                                  "string_value": name}]})})
        items = found.get("experiments") or []
        if items:
            return items[0]["experiment_id"]
        try:
            created = await self._call("POST", "experiments", json={
                "display_name": name, **({"namespace": namespace} if namespace else {})})
        except KFPConnectError as err:
            if err.status != 409:
                raise
            return await self._experiment_for({"experiment_name": name})  # created meanwhile
        return created["experiment_id"]

    # --- acting ----------------------------------------------------------------------------
    async def act(self, run_id: str, action: str) -> dict[str, Any]:
        """terminate, retry, archive or unarchive; answers the run as it is afterwards."""
        if action not in ACTIONS:
            raise KFPConnectError("not_found", f"No run action {action!r}.", status=404)
        await self._call("POST", f"runs/{_seg(run_id)}:{action}")
        run = await self._call("GET", f"runs/{_seg(run_id)}")
        await self._resolve_names([run])
        return self.run_json(run)

    async def delete(self, run_id: str) -> dict[str, Any]:
        await self._call("DELETE", f"runs/{_seg(run_id)}")
        return {}

    # --- experiments -----------------------------------------------------------------------
    async def experiments(self, *, page_token: str = "", page_size: str | int = "",
                          search: str = "") -> dict[str, Any]:
        try:
            size = int(page_size or DEFAULT_PAGE_SIZE)
        except (TypeError, ValueError):
            raise _bad_request(f"page_size must be a whole number, not {page_size!r}.") from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise _bad_request(f"page_size must be between 1 and {MAX_PAGE_SIZE} (KFP's limit).")
        params: dict[str, Any] = {"page_size": size}
        namespace = self._namespace()
        if namespace:
            params["namespace"] = namespace
        if page_token:
            params["page_token"] = page_token
        else:
            params["sort_by"] = "created_at desc"
            if search.strip():
                params["filter"] = json.dumps({"predicates": [{
                    "operation": "IS_SUBSTRING", "key": "display_name", "string_value": search.strip()}]})
        body = await self._call("GET", "experiments", params=params)
        items = body.get("experiments") or []
        for e in items:
            self.names.put("experiment", e.get("experiment_id", ""), {"name": e.get("display_name", "")})
        return {"experiments": [_experiment_json(e) for e in items],
                "next_page_token": body.get("next_page_token") or ""}

    # --- shaping ---------------------------------------------------------------------------
    def run_json(self, run: dict[str, Any]) -> dict[str, Any]:
        ref = run.get("pipeline_version_reference") or {}
        pid, vid, eid = ref.get("pipeline_id") or "", ref.get("pipeline_version_id") or "", run.get("experiment_id") or ""
        inline_name = ""
        if not pid and isinstance(run.get("pipeline_spec"), dict):
            spec = run["pipeline_spec"]
            spec = spec.get("pipeline_spec", spec) if "root" not in spec else spec
            inline_name = ((spec.get("pipelineInfo") or {}).get("name")) or ""
        return {
            "run_id": run.get("run_id", ""),
            "display_name": run.get("display_name", ""),
            "description": run.get("description", ""),
            "state": run.get("state") or "RUNTIME_STATE_UNSPECIFIED",
            "storage_state": run.get("storage_state") or "AVAILABLE",
            "pipeline_id": pid,
            "pipeline_name": (self.names.get("pipeline", pid) or {}).get("name", "") if pid else inline_name,
            "pipeline_version_id": vid,
            "pipeline_version_name": (self.names.get("version", vid) or {}).get("name", "") if vid else "",
            "experiment_id": eid,
            "experiment_name": (self.names.get("experiment", eid) or {}).get("name", "") if eid else "",
            "created_at": _time(run.get("created_at")),
            "scheduled_at": _time(run.get("scheduled_at")),
            "finished_at": _time(run.get("finished_at")),
            "error_message": _run_error(run),
            "service_account": run.get("service_account", ""),
            "ui_url": self.ui_url(run.get("run_id", "")),
        }

    def ui_url(self, run_id: str) -> str:
        """The KFP UI's run page (its route ``#/runs/details/{id}``)."""
        return f"{self._ui_base}/#/runs/details/{quote(str(run_id), safe='')}" if self._ui_base and run_id else ""

    # --- plumbing --------------------------------------------------------------------------
    async def _resolve_names(self, runs: list[dict[str, Any]]) -> None:
        """Fetch the names this page needs and the cache lacks, all at once (one call each)."""
        wanted: dict[tuple[str, str], Any] = {}
        for run in runs:
            ref = run.get("pipeline_version_reference") or {}
            eid, pid, vid = run.get("experiment_id"), ref.get("pipeline_id"), ref.get("pipeline_version_id")
            if eid and not self.names.get("experiment", eid):
                wanted[("experiment", eid)] = f"experiments/{_seg(eid)}"
            if pid and not self.names.get("pipeline", pid):
                wanted[("pipeline", pid)] = f"pipelines/{_seg(pid)}"
            if vid and not self.names.get("version", vid):
                wanted[("version", vid)] = f"pipelines/{_seg(pid or '-')}/versions/{_seg(vid)}"
        if not wanted:
            return

        async def fetch(key: tuple[str, str], path: str) -> None:
            try:
                body = await self._call("GET", path)
            except KFPConnectError as err:
                if err.status in (403, 404):  # deleted or not ours to see: no name, no failure
                    self.names.put(key[0], key[1], {"name": ""})
                    return
                raise
            self.names.put(key[0], key[1], {"name": body.get("display_name") or body.get("name") or ""})
            if key[0] == "version":
                self.names.put_spec(key[1], body.get("pipeline_spec"))

        await asyncio.gather(*(fetch(k, p) for k, p in wanted.items()))

    def _namespace(self) -> str:
        namespace = getattr(self.connection, "namespace", "") or ""
        if not namespace and getattr(self.connection, "multi_user", False):
            raise KFPConnectError("bad_request", "Runs live in a namespace, and none is chosen.",
                                  fix="Pick a namespace in the panel's namespace picker.", status=400)
        return namespace if getattr(self.connection, "multi_user", False) else ""

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        body = await self.api.call(method, path, namespace=getattr(self.connection, "namespace", "") or "",
                                   **kwargs)
        return body if isinstance(body, dict) else {}


async def _package_spec(package: Any) -> Any:
    """``{filename, data: base64}``, a compiled package a kernel sends (a file or a pipeline
    function it compiled), read and checked like an upload (in a thread)."""
    from .pipelines import validate

    if not isinstance(package, dict) or not isinstance(package.get("data"), str):
        raise _bad_request("pipeline_package must be {filename, data} with data in base64.")
    try:
        data = base64.b64decode(package["data"], validate=True)
    except (binascii.Error, ValueError):
        raise _bad_request("pipeline_package.data is not base64.") from None
    parsed = await validate(data, str(package.get("filename") or "pipeline.yaml"))
    if parsed.platform_spec:
        return {"pipeline_spec": parsed.pipeline_spec, "platform_spec": parsed.platform_spec}
    return parsed.pipeline_spec


# --- shaping helpers --------------------------------------------------------------------------

def _time(value: Any) -> str | None:
    """KFP's timestamps, with its zero time ("never") as None."""
    if not value or value == _EPOCH or str(value).startswith("1970-01-01T00:00:00"):
        return None
    return str(value)


def _run_error(run: dict[str, Any]) -> str:
    """KFP's run ``error`` if set; else, for a failed run, which tasks failed (KFP reports no
    message for a failed task: its cause is in the pod's log)."""
    error = run.get("error") or {}
    if error.get("message"):
        return str(error["message"])
    if run.get("state") != "FAILED":
        return ""
    if any(h.get("state") == "CANCELING" for h in run.get("state_history") or []):
        return "The run was terminated."  # KFP ends a terminated run FAILED
    failed = [t.get("display_name", "") for t in ((run.get("run_details") or {}).get("task_details") or [])
              if t.get("state") == "FAILED" and t.get("child_tasks") is None]
    if failed:
        return f"Failed task{'s' if len(failed) > 1 else ''}: {', '.join(failed)}. See the task's logs in the KFP UI."
    return "The run failed. See its logs in the KFP UI."


def _task_json(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": task.get("task_id", ""),
        "name": task.get("display_name", ""),
        "display_name": task.get("display_name", ""),
        "state": task.get("state") or "RUNTIME_STATE_UNSPECIFIED",
        "start_time": _time(task.get("start_time")),
        "end_time": _time(task.get("end_time")),
        "error_message": str((task.get("error") or {}).get("message") or ""),
        "parent_task_id": task.get("parent_task_id", ""),
        "child_tasks": [c.get("task_id") or c.get("pod_name") or "" for c in task.get("child_tasks") or []],
    }


def _run_dag(spec: Any, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """The spec's root DAG with each node's state from the task of the same name (Argo names
    a root task's node after the task); tasks not started yet are PENDING."""
    graph: dict[str, Any] = {"nodes": [], "edges": []}
    if isinstance(spec, dict):
        if "root" not in spec and isinstance(spec.get("pipeline_spec"), dict):
            spec = spec["pipeline_spec"]
        try:
            graph = packages.summarize(spec)["dag"]
        except (AttributeError, TypeError, KeyError):
            graph = {"nodes": [], "edges": []}
    by_name = {t["display_name"]: t for t in tasks}
    nodes = [{**n, "state": (by_name.get(n["id"]) or {}).get("state", "PENDING")} for n in graph["nodes"]]
    return {"nodes": nodes, "edges": graph["edges"]}


def _experiment_json(e: dict[str, Any]) -> dict[str, Any]:
    return {"experiment_id": e.get("experiment_id", ""), "display_name": e.get("display_name", ""),
            "description": e.get("description", ""), "namespace": e.get("namespace", ""),
            "created_at": _time(e.get("created_at")), "storage_state": e.get("storage_state") or "AVAILABLE"}


def _seg(value: str) -> str:
    """A KFP id as one URL path segment (``-``, KFP's "any pipeline", too); anything else is
    refused before it reshapes a URL (see :mod:`.kfp_paths`)."""
    return "-" if str(value) == "-" else kfp_id(value, "run or pipeline")


def _bad_request(message: str) -> KFPConnectError:
    return KFPConnectError("bad_request", message, status=400)
