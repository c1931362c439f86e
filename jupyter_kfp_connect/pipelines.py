"""The pipelines service: list, read, upload and delete KFP pipelines and versions.

Typed async calls over one user's ``Connection`` (see ``docs/architecture.md``). Why a
service of its own rather than calls in the handlers: the same rules (KFP paging, name
search through KFP's filter, validation before upload, clean-up after a failed upload, the
``duplicate_name`` answer) serve the panel and any other caller, and are testable without
HTTP in between.

Rules that matter:
- Never fetch everything: one KFP page per call; search is KFP's ``IS_SUBSTRING`` filter.
- A package is validated (``packages.read_package``) before a byte is sent to KFP.
- A name that exists answers ``duplicate_name`` with the existing pipeline's id, so the
  panel can offer "upload as a new version". KFP compares names case-insensitively (MySQL
  collation), and so does the duplicate check: ``my-pipe`` is a duplicate of ``My-Pipe``.
- A lookup by name stays in its scope: ``pipelines/names/{name}?namespace=X`` for a
  namespace, the shared listing (filter ``name EQUALS``) for the shared scope, because
  ``pipelines/names/{name}`` without a namespace matches that name in *any* namespace.
- A failed upload leaves nothing behind and never deletes what it did not create. A refusal
  (4xx) means KFP made nothing. After no answer or a 5xx (an answer lost after KFP's commit,
  or a release that stores pipeline and version in two steps) the service looks in the
  upload's own scope for a pipeline of that name made since the upload began (the name was
  free there before it) and deletes that one by its id.
- KFP URL-unescapes ``filter`` once more than the query string needs, and puts an
  ``IS_SUBSTRING`` value into SQL ``LIKE`` as is: filters are escaped for both, so a search
  for ``50%`` or ``a_b`` means exactly that.
- The latest version is the newest by ``created_at`` (whole seconds in KFP); versions made in
  the same second are ordered by id, greatest first (what KFP's own listing does), whatever
  order the server returned them in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from . import k8s_names, package_worker, packages, pipeline_store
from .errors import KFPConnectError
from .kfp_api import KFPApi
from .kfp_paths import kfp_id, name_segment

log = logging.getLogger(__name__)

SCOPES = ("private", "shared")
SORT_KEYS = ("created_at", "display_name", "name", "description", "namespace", "pipeline_id")
DEFAULT_SORT = "created_at desc"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200  # KFP's own ceiling
KFP_NAMESPACE = "kubeflow"  # where KFP checks gRPC writes to shared pipelines (2.17)
#: KFP 2.17's upload endpoints answer an RBAC denial with exactly these (400, no cause)
UPLOAD_REFUSALS = ("Failed to create a pipeline", "Failed to create a pipeline version")
DELETE_CONCURRENCY = 8  # version deletes in flight when KFP cannot cascade: kind to the server
COUNT_CONCURRENCY = 8  # version counts asked at once (one small KFP list call each)
MAX_COUNT_IDS = MAX_PAGE_SIZE  # pipelines per version-count request: one list page at most
_SORT_RE = re.compile(r"^\s*([a-z_]+)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ListRequest:
    """One page request, checked before it reaches KFP so a typo is our 400, not KFP's."""

    scope: str = "private"
    namespace: str = ""
    page_token: str = ""
    page_size: int = DEFAULT_PAGE_SIZE
    sort_by: str = DEFAULT_SORT
    search: str = ""

    @classmethod
    def parse(cls, *, scope: str = "", namespace: str = "", page_token: str = "",
              page_size: str | int = "", sort_by: str = "", search: str = "") -> "ListRequest":
        scope = (scope or "private").lower()
        if scope not in SCOPES:
            raise _bad_request(f"scope must be 'private' or 'shared', not {scope!r}.")
        size, sort = page_size_and_sort(page_size, sort_by, SORT_KEYS)
        return cls(scope, namespace.strip(), page_token, size, sort, search.strip())


def page_size_and_sort(page_size: str | int, sort_by: str, sort_keys: tuple[str, ...]) -> tuple[int, str]:
    """KFP's paging and sort rules, checked before asking KFP (shared by the runs list)."""
    try:
        size = int(page_size or DEFAULT_PAGE_SIZE)
    except (TypeError, ValueError):
        raise _bad_request(f"page_size must be a whole number, not {page_size!r}.") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise _bad_request(f"page_size must be between 1 and {MAX_PAGE_SIZE} (KFP's limit).")
    sort = (sort_by or DEFAULT_SORT).strip()
    match = _SORT_RE.match(sort)
    if not match or match.group(1).lower() not in sort_keys:
        raise _bad_request(
            f"sort_by {sort_by!r} is not understood: use one of {', '.join(sort_keys)}, "
            "optionally followed by 'asc' or 'desc'.")
    return size, match.group(1).lower() + (f" {match.group(2).lower()}" if match.group(2) else "")


def name_filter(search: str, *, like: bool = True) -> str:
    """KFP's JSON filter for "display name contains ``search``" (done by KFP, not by us).
    ``like``: KFP's database store puts the value into SQL ``LIKE '%v%'`` unescaped, so
    MySQL's wildcards and escape (``%``, ``_``, ``\\``) are escaped to mean themselves; the
    Kubernetes store compares plain substrings and needs no escaping."""
    value = like_escape(search) if like else search
    return json.dumps({"predicates": [
        {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": value}]})


def name_equals_filter(name: str) -> str:
    """``name EQUALS`` (case-insensitive in KFP's MySQL, like its unique index)."""
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": "name", "string_value": name}]})


def like_escape(text: str) -> str:
    """MySQL ``LIKE`` with its default escape character: ``\\``, ``%`` and ``_`` made literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_param(spec: str) -> str:
    """The ``filter`` query value: KFP runs ``url.QueryUnescape`` on it after the query string
    was already decoded, so it is escaped once here (httpx escapes it again); otherwise a
    ``%`` is KFP's 400 and a ``+`` turns into a space."""
    return quote(spec, safe="")


def newest_first(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions by ``created_at`` then id, both descending: KFP's own order for
    ``created_at desc`` (its times are whole seconds, ties go by UUID), restored whatever
    order the server answered in, so "latest" is the same on every call."""
    return sorted(versions, key=lambda v: (str(v.get("created_at") or ""), str(v.get("pipeline_version_id") or "")),
                  reverse=True)


class PipelinesService:
    """Pipelines and versions for one user's connection. Stateless: build one per request."""

    def __init__(self, connection: Any, *, store_setting: str = "auto") -> None:
        self.connection = connection
        self.api = KFPApi(connection)
        self.store_setting = store_setting
        self._ui_base = (getattr(connection, "ui_base", "") or "").rstrip("/")

    # --- reading -------------------------------------------------------------------------
    async def list(self, request: ListRequest) -> dict[str, Any]:
        """One page of pipelines in a scope. A page token already carries KFP's sort and
        filter, so with a token only the token and the page size are sent (as KFP wants)."""
        namespace = self._scope_namespace(request.scope, request.namespace)
        params: dict[str, Any] = {"page_size": request.page_size}
        if namespace:
            params["namespace"] = namespace
        if request.page_token:
            params["page_token"] = request.page_token
        else:
            params["sort_by"] = request.sort_by
            if request.search:
                params["filter"] = filter_param(name_filter(request.search, like=self._like_filters()))
        body = await self._call("GET", "pipelines", params=params, namespace=namespace)
        return {
            "pipelines": [self.pipeline_json(p) for p in body.get("pipelines") or []],
            "next_page_token": body.get("next_page_token") or "",
            "total_size": int(body.get("total_size") or 0),
            "scope": request.scope,
            "namespace": namespace,
        }

    async def get(self, pipeline_id: str, *, page_token: str = "",
                  page_size: int = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
        """A pipeline with one page of its versions (newest first) and the newest version's
        summary: the panel's detail view in one round trip (two KFP calls in parallel)."""
        params: dict[str, Any] = {"page_size": page_size}
        if page_token:
            params["page_token"] = page_token
        else:
            params["sort_by"] = "created_at desc"
        pipeline, versions = await asyncio.gather(
            self._call("GET", f"pipelines/{_seg(pipeline_id)}"),
            self._call("GET", f"pipelines/{_seg(pipeline_id)}/versions", params=params),
        )
        items = newest_first(versions.get("pipeline_versions") or [])
        latest = await self._version_with_summary(items[0]) if items and not page_token else None
        return {
            "pipeline": self.pipeline_json(pipeline),
            "versions": [self.version_json(v) for v in items],
            "next_page_token": versions.get("next_page_token") or "",
            "total_size": int(versions.get("total_size") or len(items)),
            "latest_version": latest,
        }

    async def get_version(self, pipeline_id: str, version_id: str) -> dict[str, Any]:
        body = await self._call(
            "GET", f"pipelines/{_seg(pipeline_id)}/versions/{_seg(version_id)}")
        return await self._version_with_summary(body)

    async def version_package(self, pipeline_id: str, version_id: str) -> dict[str, Any]:
        """The version's package as KFP stores it, as YAML a person can save and upload again:
        ``{filename, yaml}`` (pipeline spec, then the platform spec as a second document)."""
        body = await self._call(
            "GET", f"pipelines/{_seg(pipeline_id)}/versions/{_seg(version_id)}")
        spec = body.get("pipeline_spec")
        if not isinstance(spec, dict):
            raise KFPConnectError("not_found", "This version has no pipeline spec to download.",
                                  fix="Upload the package again as a new version.", status=404)
        text = await asyncio.to_thread(package_yaml, spec)
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(body.get("display_name") or body.get("name")
                                                     or version_id)).strip("-") or "pipeline"
        return {"filename": f"{name}.yaml", "yaml": text}

    async def version_counts(self, pipeline_ids: list[str]) -> dict[str, int | None]:
        """How many versions each pipeline has. KFP's list answer carries no count, but list
        versions' ``total_size`` counts all of a pipeline's versions whatever the page size
        (a ``count(*)`` beside the page query), so ``page_size=1`` per pipeline is the
        cheapest honest count: at most ``COUNT_CONCURRENCY`` calls in flight. A pipeline
        that is gone or not readable (404/403) counts ``None``; any other failure (session
        expired, KFP down) is the request's."""
        ids = list(dict.fromkeys(pipeline_ids))
        if len(ids) > MAX_COUNT_IDS:
            raise _bad_request(f"Ask for at most {MAX_COUNT_IDS} pipelines' version counts at once.")
        for pipeline_id in ids:
            _seg(pipeline_id)  # every id checked before the first call
        gate = asyncio.Semaphore(COUNT_CONCURRENCY)

        async def count(pipeline_id: str) -> int | None:
            async with gate:
                try:
                    body = await self._call("GET", f"pipelines/{_seg(pipeline_id)}/versions",
                                            params={"page_size": 1})
                except KFPConnectError as err:
                    if err.status in (403, 404):
                        return None
                    raise
            return int(body.get("total_size") or 0)

        counts = await asyncio.gather(*(count(p) for p in ids))
        return dict(zip(ids, counts))

    async def find_by_name(self, name: str, namespace: str) -> dict[str, Any] | None:
        """The pipeline called ``name`` (any case, as KFP compares) in exactly this scope:
        ``namespace``, or the shared pipelines for ''. Never one of another namespace."""
        if not getattr(self.connection, "multi_user", False):
            namespace = ""  # single-user KFP keeps everything shared and ignores namespaces
        if not namespace:
            # pipelines/names/{name} without a namespace searches every namespace; the
            # namespace-less listing is the shared pipelines only.
            body = await self._call("GET", "pipelines", params={
                "filter": filter_param(name_equals_filter(name)), "page_size": 1})
            items = [p for p in body.get("pipelines") or [] if not p.get("namespace")]
            return items[0] if items else None
        try:
            body = await self._call("GET", f"pipelines/names/{name_segment(name)}",
                                    params={"namespace": namespace}, namespace=namespace)
        except KFPConnectError as err:
            if err.status == 404:
                return None
            raise
        if not body.get("pipeline_id") or (body.get("namespace") or "") != namespace:
            return None
        return body

    async def find_version_by_name(self, pipeline_id: str, name: str) -> dict[str, Any] | None:
        """The version called ``name`` (any case, as KFP compares) of one pipeline."""
        body = await self._call("GET", f"pipelines/{_seg(pipeline_id)}/versions",
                                params={"filter": filter_param(name_equals_filter(name)), "page_size": 1})
        items = body.get("pipeline_versions") or []
        return items[0] if items else None

    # --- uploading -----------------------------------------------------------------------
    async def upload_pipeline(self, data: bytes, filename: str, *, name: str = "",
                              display_name: str = "", description: str = "",
                              scope: str = "private", namespace: str = "") -> dict[str, Any]:
        """Validate, refuse a taken name, upload; on failure delete what KFP created."""
        package = await validate(data, filename)
        namespace = self._scope_namespace(scope, namespace)
        name = (name or package.name).strip()
        display_name = (display_name or name).strip()
        description = description or package.description
        self._check_kubernetes_names(name, display_name)
        existing = await self.find_by_name(name, namespace)
        if existing:
            raise self._duplicate_pipeline(existing, name, namespace)
        params = {"name": name, "display_name": display_name, "description": description}
        if namespace:
            params["namespace"] = namespace
        started = _whole_seconds_now()
        try:
            pipeline = await self._call("POST", "pipelines/upload", params=params,
                                        files=_upload_file(data, filename), namespace=namespace)
        except KFPConnectError as err:
            if err.status == 409:
                found = await self.find_by_name(name, namespace)
                raise self._duplicate_pipeline(found or {}, name, namespace) from err
            if _may_have_made_it(err):
                await self._remove_leftover_pipeline(name, namespace, started, err)
            refusal = self._explain_refusal(err, namespace)
            if refusal is err:
                raise
            raise refusal from err
        # The upload creates the first version; report it so the panel can link to it. The
        # upload itself succeeded, so failing to read it back is not a failed upload.
        try:
            versions = await self._call(
                "GET", f"pipelines/{_seg(pipeline['pipeline_id'])}/versions",
                params={"page_size": 1, "sort_by": "created_at desc"})
        except KFPConnectError as err:
            log.info("kfp-connect: uploaded %s but could not read its version: %s", name, err)
            return {"pipeline": self.pipeline_json(pipeline), "version": None}
        items = versions.get("pipeline_versions") or []
        if not items:
            # KFP stores the pipeline and its first version separately on some releases and
            # stores: a pipeline without a version is a half-done upload.
            await self._delete_quietly(pipeline["pipeline_id"])
            raise KFPConnectError(
                "kfp_error", "KFP created the pipeline but not its first version; the half-made "
                "pipeline was deleted.", fix="Try the upload again; if it fails again, look at "
                "the KFP API server's log.", status=502, details={"cleaned_up": True})
        return {"pipeline": self.pipeline_json(pipeline), "version": self.version_json(items[0])}

    async def upload_version(self, pipeline_id: str, data: bytes, filename: str, *,
                             name: str = "", display_name: str = "",
                             description: str = "") -> dict[str, Any]:
        """A new version of a pipeline found by id (private or shared alike)."""
        package = await validate(data, filename)
        pipeline = await self._call("GET", f"pipelines/{_seg(pipeline_id)}")
        name = (name or default_version_name(pipeline.get("name") or package.name)).strip()
        display_name = (display_name or name).strip()
        self._check_kubernetes_names(pipeline.get("name") or "", display_name, version=name)
        existing = await self.find_version_by_name(pipeline_id, name)
        if existing:
            raise self._duplicate_version(pipeline_id, existing, name)
        params = {"pipelineid": pipeline_id, "name": name, "display_name": display_name,
                  "description": description or package.description}
        started = _whole_seconds_now()
        try:
            version = await self._call("POST", "pipelines/upload_version", params=params,
                                       files=_upload_file(data, filename))
        except KFPConnectError as err:
            if err.status == 409:
                found = await self.find_version_by_name(pipeline_id, name)
                raise self._duplicate_version(pipeline_id, found or {}, name) from err
            if _may_have_made_it(err):
                await self._remove_leftover_version(pipeline_id, name, started, err)
            refusal = self._explain_refusal(err, pipeline.get("namespace") or "")
            if refusal is err:
                raise
            raise refusal from err
        return {"pipeline": self.pipeline_json(pipeline), "version": self.version_json(version)}

    def _check_kubernetes_names(self, name: str, display_name: str, *, version: str | None = None) -> None:
        """With KFP's Kubernetes store, refuse a name Kubernetes would refuse, before any
        byte is sent, proposing a valid one (the person's text stays as display name)."""
        if pipeline_store.of_connection(self.connection, self.store_setting)["pipeline_store"] != "kubernetes":
            return
        found = k8s_names.check(name, version) if version is not None else k8s_names.check(name)
        if version is not None:
            found = [f for f in found if f["field"] == "version_name"]
        if not found:
            return
        first = found[0]
        what = "version name" if first["field"] == "version_name" else "pipeline name"
        raise KFPConnectError(
            "invalid_kubernetes_name",
            f"This Kubeflow Pipelines keeps pipelines as Kubernetes objects, and {first['name']!r} "
            f"is not a valid {what} there: {'; '.join(first['errors'])}.",  # type: ignore[arg-type]
            fix=f"Use the name {first['proposed']!r}; your text can stay as the display name "
                f"({display_name!r}).",
            status=400,
            details={"field": first["field"], "name": first["name"], "proposed_name": first["proposed"],
                     "display_name": display_name, "pipeline_store": "kubernetes"})

    # --- deleting ------------------------------------------------------------------------
    async def delete_version(self, pipeline_id: str, version_id: str) -> dict[str, Any]:
        await self._call("DELETE", f"pipelines/{_seg(pipeline_id)}/versions/{_seg(version_id)}")
        return {"deleted": True, "pipeline_id": pipeline_id, "version_id": version_id}

    async def delete_pipeline(self, pipeline_id: str) -> dict[str, Any]:
        """Delete a pipeline and all its versions. ``cascade=true`` (KFP 2.4+) does it in one
        call; a server that ignores it refuses with "existing pipeline versions", and then the
        versions go first, one page at a time."""
        try:
            await self._call("DELETE", f"pipelines/{_seg(pipeline_id)}", params={"cascade": "true"})
        except KFPConnectError as err:
            if err.status != 400 or "version" not in err.problem.message.lower():
                raise
            await self._delete_versions_then_pipeline(pipeline_id)
        return {"deleted": True, "pipeline_id": pipeline_id}

    async def _delete_versions_then_pipeline(self, pipeline_id: str) -> None:
        while True:
            body = await self._call("GET", f"pipelines/{_seg(pipeline_id)}/versions",
                                    params={"page_size": MAX_PAGE_SIZE})
            ids = [v["pipeline_version_id"] for v in body.get("pipeline_versions") or []]
            if not ids:
                break
            gate = asyncio.Semaphore(DELETE_CONCURRENCY)

            async def delete(version_id: str) -> None:
                async with gate:
                    await self.delete_version(pipeline_id, version_id)

            await asyncio.gather(*(delete(vid) for vid in ids))
        await self._call("DELETE", f"pipelines/{_seg(pipeline_id)}")

    # --- clean-up after failure ----------------------------------------------------------
    async def _remove_leftover_pipeline(self, name: str, namespace: str, started: int,
                                        err: KFPConnectError) -> None:
        """After a lost answer: the name was free in this scope before the upload, so a
        pipeline under it in the same scope, made since the upload began, is the upload's.
        It is deleted by its id; anything else is left alone."""
        leftover: dict[str, Any] | None = None
        try:
            leftover = await self.find_by_name(name, namespace)
            if leftover and _made_since(leftover, started):
                await self.delete_pipeline(leftover["pipeline_id"])
                log.info("kfp-connect: removed pipeline %s left by a failed upload", leftover["pipeline_id"])
                err.problem.details["cleaned_up"] = True
        except Exception as cleanup_err:  # the original error is the one to report
            # e.g. KFP 2.17 lets anyone upload a shared pipeline but checks its delete in
            # KFP's own namespace: say what was left, by id.
            if leftover:
                err.problem.details["left_behind"] = leftover["pipeline_id"]
            log.warning("kfp-connect: could not check for or remove a half-made pipeline %s: %s",
                        name, cleanup_err)

    async def _remove_leftover_version(self, pipeline_id: str, name: str, started: int,
                                       err: KFPConnectError) -> None:
        try:
            leftover = await self.find_version_by_name(pipeline_id, name)
            if leftover and _made_since(leftover, started):
                await self.delete_version(pipeline_id, leftover["pipeline_version_id"])
                err.problem.details["cleaned_up"] = True
        except Exception as cleanup_err:
            log.warning("kfp-connect: could not check for a half-made version %s: %s",
                        name, cleanup_err)

    async def _delete_quietly(self, pipeline_id: str) -> None:
        try:
            await self.delete_pipeline(pipeline_id)
        except Exception as cleanup_err:
            log.warning("kfp-connect: could not delete half-made pipeline %s: %s",
                        pipeline_id, cleanup_err)

    # --- shaping -------------------------------------------------------------------------
    def pipeline_json(self, p: dict[str, Any]) -> dict[str, Any]:
        pid = p.get("pipeline_id", "")
        namespace = p.get("namespace") or ""
        return {
            "id": pid,
            "name": p.get("name") or "",
            "display_name": p.get("display_name") or p.get("name") or "",
            "description": p.get("description") or "",
            "created_at": p.get("created_at") or "",
            "namespace": namespace,
            "shared": not namespace,
            "ui_url": self.ui_url(pid),
        }

    def version_json(self, v: dict[str, Any]) -> dict[str, Any]:
        pid, vid = v.get("pipeline_id", ""), v.get("pipeline_version_id", "")
        out: dict[str, Any] = {
            "id": vid,
            "pipeline_id": pid,
            "name": v.get("name") or "",
            "display_name": v.get("display_name") or v.get("name") or "",
            "description": v.get("description") or "",
            "created_at": v.get("created_at") or "",
            "code_source_url": v.get("code_source_url") or "",
            "ui_url": self.ui_url(pid, vid),
        }
        return out

    async def _version_with_summary(self, v: dict[str, Any]) -> dict[str, Any]:
        """``version_json`` with the stored spec's summary, made in a thread: the spec is
        whatever KFP stored (another client's upload may hold 8,000 tasks), so walking it is
        kept off the event loop."""
        out = self.version_json(v)
        out["summary"] = await asyncio.to_thread(summarize_stored_spec, v.get("pipeline_spec"))
        return out

    def ui_url(self, pipeline_id: str, version_id: str = "") -> str:
        """The KFP UI's page (its routes: ``#/pipelines/details/{pid}[/version/{vid}]``)."""
        if not self._ui_base or not pipeline_id:
            return ""
        url = f"{self._ui_base}/#/pipelines/details/{quote(str(pipeline_id), safe='')}"
        return f"{url}/version/{quote(str(version_id), safe='')}" if version_id else url

    # --- plumbing ------------------------------------------------------------------------
    def _scope_namespace(self, scope: str, namespace: str) -> str:
        """'' for shared; the chosen (or the connection's) namespace for private. A
        single-user KFP ignores namespaces, so there private is simply everything."""
        if scope not in SCOPES:
            raise _bad_request(f"scope must be 'private' or 'shared', not {scope!r}.")
        if scope == "shared":
            return ""
        namespace = namespace or getattr(self.connection, "namespace", "") or ""
        if not namespace and getattr(self.connection, "multi_user", False):
            raise KFPConnectError(
                "bad_request", "Private pipelines live in a namespace, and none is chosen.",
                fix="Pick a namespace in the panel's namespace picker.", status=400)
        return namespace

    async def _call(self, method: str, path: str, *, namespace: str = "",
                    **kwargs: Any) -> dict[str, Any]:
        """KFP's JSON answer; its errors arrive as Problems (404 ``not_found``, 409, a 403
        with the RoleBinding that fixes it) from ``kfp_api``."""
        body = await self.api.call(method, path, namespace=namespace, **kwargs)
        return body if isinstance(body, dict) else {}

    def _explain_refusal(self, err: KFPConnectError, namespace: str) -> KFPConnectError:
        """KFP 2.17's upload endpoints answer an RBAC denial with a bare 400 "Failed to create
        a pipeline" / "... pipeline version" (the cause only in KFP's log; older releases
        said "... due to authorization error"), not a 403. The package passed our own
        validation and the request is well formed, so that sentence is the RBAC check: give
        it the RoleBinding fix a 403 gets, for the namespace KFP checked (the pipeline's; a
        KFP that checks shared uploads checks them in its own namespace)."""
        rbac_problem = getattr(self.connection, "rbac_problem", None)
        message = err.problem.message.strip()
        if err.status != 400 or rbac_problem is None:
            return err
        if message not in UPLOAD_REFUSALS and "authorization error" not in message:
            return err
        where = namespace or KFP_NAMESPACE
        explained = (f"{message} (KFP answers this when its RBAC check refuses the upload: you may not "
                     f"create pipelines in {where})")
        return KFPConnectError.from_problem(rbac_problem(where, explained))

    def _like_filters(self) -> bool:
        """Whether IS_SUBSTRING goes through SQL LIKE: KFP's database store (the default, and
        what a KFP too old to say reports nothing for), not the Kubernetes store."""
        healthz = getattr(self.connection, "healthz", None) or {}
        return (healthz.get("pipeline_store") or "database") == "database"

    def _duplicate_pipeline(self, existing: dict[str, Any], name: str,
                            namespace: str) -> KFPConnectError:
        where = f"namespace {namespace}" if namespace else "the shared pipelines"
        pid = existing.get("pipeline_id", "")
        taken = existing.get("name") or name
        same = "" if taken == name else f" (KFP compares names without regard to case: {name!r} is taken)"
        return KFPConnectError(
            "duplicate_name", f"A pipeline named {taken!r} already exists in {where}{same}.",
            fix="Upload the file as a new version of that pipeline, or choose another name.",
            status=409,
            details={"kind": "pipeline", "name": name, "existing_name": taken, "namespace": namespace,
                     "pipeline_id": pid, "ui_url": self.ui_url(pid)})

    def _duplicate_version(self, pipeline_id: str, existing: dict[str, Any],
                           name: str) -> KFPConnectError:
        taken = existing.get("name") or name
        same = "" if taken == name else f" (KFP compares names without regard to case: {name!r} is taken)"
        return KFPConnectError(
            "duplicate_name", f"This pipeline already has a version named {taken!r}{same}.",
            fix="Choose another version name.", status=409,
            details={"kind": "version", "name": name, "existing_name": taken, "pipeline_id": pipeline_id,
                     "version_id": existing.get("pipeline_version_id", "")})


async def validate(data: bytes, filename: str, *, with_summary: bool = False) -> packages.PipelinePackage:
    """``packages.read_package`` in a worker process (``package_worker``: bounded in time and
    memory, the server's GIL free), its refusal as the extension's error shape.
    ``with_summary``: the package's ``summary`` is made in that worker too (``package_json``)."""
    if not data:
        raise KFPConnectError("invalid_package", f"{filename or 'The file'} is empty.",
                              fix="Choose a compiled pipeline file (kfp.compiler.Compiler).",
                              status=400, details={"filename": filename})
    try:
        return await package_worker.read_package(data, filename, with_summary=with_summary)
    except packages.InvalidPackage as err:
        too_large = err.code == "package_too_large"
        raise KFPConnectError(
            err.code, err.reason,
            fix="Split large data out of the pipeline or upload a smaller file." if too_large
            else "Compile the pipeline with kfp.compiler.Compiler().compile(...) and upload "
                 "the YAML it writes.",
            status=413 if too_large else 400, details={"filename": filename}) from err


def package_json(package: packages.PipelinePackage, filename: str, size: int) -> dict[str, Any]:
    """What ``POST validate`` answers: enough for the upload dialog to prefill and preview.
    The summary is the one ``validate(..., with_summary=True)`` made in the worker: this runs
    on the event loop, so it walks nothing."""
    return {"valid": True, "filename": filename, "size": size, "name": package.name,
            "display_name": package.display_name, "description": package.description,
            "summary": package.summary}


def summarize_stored_spec(spec: Any) -> dict[str, Any] | None:
    """KFP stores a package with a platform spec as ``{pipeline_spec, platform_spec}``.
    Capped like the validate answer (``MAX_SUMMARY_ITEMS``); call it in a thread."""
    if not isinstance(spec, dict):
        return None
    if "root" not in spec and isinstance(spec.get("pipeline_spec"), dict):
        spec = spec["pipeline_spec"]
    try:
        return packages.summarize(spec, limit=packages.MAX_SUMMARY_ITEMS)
    except packages.InvalidPackage:  # stored by another client, or a KFP answer gone wrong
        return None


def package_yaml(spec: dict[str, Any]) -> str:
    """Stored spec -> the compiler's YAML layout (platform spec as a second document)."""
    import yaml

    if "root" not in spec and isinstance(spec.get("pipeline_spec"), dict):
        docs = [spec["pipeline_spec"]]
        if isinstance(spec.get("platform_spec"), dict):
            docs.append(spec["platform_spec"])
    else:
        docs = [spec]
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def default_version_name(pipeline_name: str) -> str:
    """Unique enough per upload and still readable: ``{pipeline}-20250101-120000``."""
    return f"{pipeline_name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"


def _upload_file(data: bytes, filename: str) -> dict[str, tuple[str, bytes, str]]:
    return {"uploadfile": (filename or "pipeline.yaml", data, "application/octet-stream")}


def _seg(value: str) -> str:
    """A KFP id as one URL path segment; anything else is refused (see :mod:`.kfp_paths`)."""
    return kfp_id(value)


def _whole_seconds_now() -> int:
    """Now, in KFP's resolution (``CreatedAtInSec``)."""
    return int(time.time())


def _may_have_made_it(err: KFPConnectError) -> bool:
    """No answer, a gateway's 502/503/504, or a server error: KFP may have made the pipeline
    (KFP 2.17 makes it and its first version in one transaction, but an answer can be lost
    after the commit, and other releases may store them in two steps). A 4xx of KFP's own
    means it made nothing, and then nothing is looked up."""
    if err.code == "unreachable":
        return True
    return err.code == "kfp_error" and int(err.problem.details.get("kfp_status") or 0) >= 500


def _made_since(item: dict[str, Any], started: int) -> bool:
    """Made at or after ``started`` (KFP's RFC 3339 ``created_at``, whole seconds)."""
    try:
        made = datetime.fromisoformat(str(item.get("created_at") or "").replace("Z", "+00:00"))
    except ValueError:
        return False
    return made.timestamp() >= started


def _bad_request(message: str) -> KFPConnectError:
    return KFPConnectError("bad_request", message, status=400)
