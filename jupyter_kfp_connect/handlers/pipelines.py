"""Pipelines endpoints: list, read, upload (from the Jupyter root or the browser), delete.

One small handler per endpoint; the rules live in :mod:`..pipelines`. Upload bodies are
streamed with a hard cap (``@stream_request_body``) so a 2 GB mistake is refused without
being held in memory, and parsing the multipart body, reading a file from the Jupyter root
and validating the package all happen in threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any

import tornado.web
from jupyter_core.paths import is_hidden
from jupyter_server.auth.decorator import authorized
from tornado.httputil import HTTPFile, parse_body_arguments

from .. import untrusted_json
from ..errors import KFPConnectError
from ..packages import MAX_PACKAGE_BYTES
from ..pipelines import ListRequest, PipelinesService, package_json, validate
from .base import KFPConnectHandler

#: Room for the multipart envelope and the form fields around a 32 MB file.
MAX_BODY_BYTES = MAX_PACKAGE_BYTES + 1024 * 1024
#: A JSON body only names a file; anything bigger is a mistake, not worth parsing on the loop.
MAX_JSON_BYTES = 64 * 1024
_UPLOAD_FIELDS = ("name", "display_name", "description", "scope", "namespace")


class _PipelinesHandler(KFPConnectHandler):
    async def service(self) -> PipelinesService:
        """The user's connection (detected on first use) wrapped in the pipelines service."""
        connection = self.kfp_app.connections.get(self.user_key)
        await connection.start()
        return PipelinesService(connection, store_setting=self.kfp_app.pipeline_store)


@tornado.web.stream_request_body
class _UploadHandler(_PipelinesHandler):
    """Receives a package as multipart ``file`` or as JSON ``{path}`` in the Jupyter root."""

    _chunks: list[bytes]
    _received = 0
    _too_large = False

    async def prepare(self) -> None:
        self._chunks = []
        result = super().prepare()  # authenticates before any body byte is accepted
        if inspect.isawaitable(result):
            await result
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            self._too_large = True  # read and drop: answering mid-body breaks clients

    def data_received(self, chunk: bytes) -> None:
        if self._too_large or self._finished:  # refused (e.g. not signed in): drop it
            return
        self._received += len(chunk)
        if self._received > MAX_BODY_BYTES:
            self._too_large, self._chunks = True, []
            return
        self._chunks.append(chunk)

    async def read_upload(self) -> tuple[bytes, str, dict[str, str]]:
        """``(file bytes, file name, form fields)`` from either kind of request."""
        if self._too_large:
            raise _too_large()
        chunks, self._chunks = self._chunks, []
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            return await asyncio.to_thread(_parse_multipart, content_type, chunks, self.request.headers)
        if self._received > MAX_JSON_BYTES:
            raise KFPConnectError(
                "bad_request", "Send the package as multipart field 'file'; a JSON body only names "
                "a file in the Jupyter root ({\"path\": ...}).", status=400)
        fields = _json_object(b"".join(chunks))
        path = fields.get("path")
        if not isinstance(path, str) or not path.strip():
            raise KFPConnectError(
                "bad_request", "Send the package as multipart field 'file', or JSON {\"path\": ...} "
                "naming a file in the Jupyter root.", status=400)
        allow_hidden = bool(getattr(self.contents_manager, "allow_hidden", False))
        data, filename = await asyncio.to_thread(read_root_file, self.root_dir, path, allow_hidden)
        return data, filename, {k: str(fields.get(k) or "") for k in _UPLOAD_FIELDS}

    @property
    def root_dir(self) -> str:
        return getattr(self.contents_manager, "root_dir", "") or self.settings.get("server_root_dir", "")


class PipelinesHandler(_UploadHandler):
    """``GET pipelines``: one KFP page. ``POST pipelines``: upload a new pipeline."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        request = ListRequest.parse(**{k: self.get_query_argument(k, "") for k in (
            "scope", "namespace", "page_token", "page_size", "sort_by", "search")})
        service = await self.service()
        self.reply(await service.list(request))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        data, filename, form = await self.read_upload()
        service = await self.service()
        result = await service.upload_pipeline(
            data, filename, name=form.get("name", ""), display_name=form.get("display_name", ""),
            description=form.get("description", ""), scope=form.get("scope") or "private",
            namespace=form.get("namespace", ""))
        self.reply(result, status=201)


class PipelineHandler(_PipelinesHandler):
    """``GET pipelines/{id}``: with a page of versions. ``DELETE``: with all its versions."""

    @tornado.web.authenticated
    @authorized
    async def get(self, pipeline_id: str) -> None:
        size = ListRequest.parse(page_size=self.get_query_argument("page_size", "")).page_size
        service = await self.service()
        self.reply(await service.get(
            pipeline_id, page_token=self.get_query_argument("page_token", ""), page_size=size))

    @tornado.web.authenticated
    @authorized
    async def delete(self, pipeline_id: str) -> None:
        service = await self.service()
        self.reply(await service.delete_pipeline(pipeline_id))


class PipelineVersionsHandler(_UploadHandler):
    """``POST pipelines/{id}/versions``: upload a new version (private pipelines too)."""

    @tornado.web.authenticated
    @authorized
    async def post(self, pipeline_id: str) -> None:
        data, filename, form = await self.read_upload()
        service = await self.service()
        result = await service.upload_version(
            pipeline_id, data, filename, name=form.get("name", ""),
            display_name=form.get("display_name", ""), description=form.get("description", ""))
        self.reply(result, status=201)


class PipelineVersionHandler(_PipelinesHandler):
    """``GET pipelines/{id}/versions/{vid}``: with its spec summary. ``DELETE``: remove it."""

    @tornado.web.authenticated
    @authorized
    async def get(self, pipeline_id: str, version_id: str) -> None:
        service = await self.service()
        self.reply(await service.get_version(pipeline_id, version_id))

    @tornado.web.authenticated
    @authorized
    async def delete(self, pipeline_id: str, version_id: str) -> None:
        service = await self.service()
        self.reply(await service.delete_version(pipeline_id, version_id))


class PipelineVersionPackageHandler(_PipelinesHandler):
    """``GET pipelines/{id}/versions/{vid}/package``: ``{filename, yaml}`` to save or compare."""

    @tornado.web.authenticated
    @authorized
    async def get(self, pipeline_id: str, version_id: str) -> None:
        service = await self.service()
        self.reply(await service.version_package(pipeline_id, version_id))


class VersionCountsHandler(_PipelinesHandler):
    """``GET version-counts?ids=a,b``: ``{counts: {id: n | null}}`` for the list's rows (KFP's
    list of pipelines carries no count; the panel asks for the rows it shows)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        ids = [i.strip() for i in self.get_query_argument("ids", "").split(",") if i.strip()]
        service = await self.service()
        self.reply({"counts": await service.version_counts(ids)})


class ValidateHandler(_UploadHandler):
    """``POST validate``: the upload's checks and the spec summary, nothing sent to KFP."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        data, filename, _form = await self.read_upload()
        package = await validate(data, filename, with_summary=True)  # summarized in the worker
        self.reply(package_json(package, filename, len(data)))


def read_root_file(root_dir: str, path: str, allow_hidden: bool = False) -> tuple[bytes, str]:
    """Read ``path`` (relative to the Jupyter root, as the contents API names files).
    Symlinks and ``..`` are resolved first, so nothing outside the root is ever opened, and
    hidden files stay hidden unless the contents manager shows them (``allow_hidden``)."""
    if not root_dir:
        raise KFPConnectError("bad_request", "This server has no file root to read from.", status=400)
    if "\x00" in path:  # the OS refuses it (ValueError): say so, as a bad path
        raise KFPConnectError("bad_request", "A file path cannot contain a NUL character.", status=400,
                              details={"path": path.replace("\x00", "\\0")})
    root = os.path.realpath(root_dir)
    relative = path.replace("\\", "/").lstrip("/")
    target = os.path.realpath(os.path.join(root, relative))
    try:
        inside = os.path.commonpath([root, target]) == root
    except ValueError:  # different drives
        inside = False
    if not inside:
        raise KFPConnectError(
            "path_outside_root", f"{path} is outside the Jupyter root; only files under it "
            "can be uploaded.", fix="Copy the file into the Jupyter file browser's folders.",
            status=403, details={"path": path})
    if not os.path.isfile(target) or (not allow_hidden and is_hidden(target, root)):
        raise KFPConnectError("not_found", f"There is no file {path} in the Jupyter root.",
                              status=404, details={"path": path})
    if os.path.getsize(target) > MAX_PACKAGE_BYTES:
        raise _too_large()
    with open(target, "rb") as handle:
        data = handle.read(MAX_PACKAGE_BYTES + 1)
    return data, os.path.basename(relative)


def _parse_multipart(content_type: str, chunks: list[bytes], headers: Any) -> tuple[bytes, str, dict[str, str]]:
    """Runs in a thread: joining and splitting up to 33 MB is too long for the event loop."""
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments(content_type, b"".join(chunks), arguments, files, headers)
    uploaded = files.get("file") or []
    if not uploaded:
        raise KFPConnectError("bad_request", "The multipart body has no 'file' field.", status=400)
    fields = {k: arguments[k][0].decode("utf-8", "replace") for k in _UPLOAD_FIELDS if arguments.get(k)}
    return uploaded[0].body, os.path.basename(uploaded[0].filename or ""), fields


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = untrusted_json.loads(body or b"{}")
    except ValueError as err:  # not JSON, or too deep
        raise KFPConnectError("bad_request", f"The request body is not valid JSON: {err}",
                              status=400) from err
    if not isinstance(value, dict):
        raise KFPConnectError("bad_request", "The request body must be a JSON object.", status=400)
    return value


def _too_large() -> KFPConnectError:
    return KFPConnectError(
        "package_too_large", f"The file is larger than {MAX_PACKAGE_BYTES // (1024 * 1024)} MB, "
        "KFP's upload limit.", fix="Split large data out of the pipeline or upload a smaller file.",
        status=413)


ROUTES = [
    (r"pipelines", PipelinesHandler),
    (r"pipelines/([^/]+)", PipelineHandler),
    (r"pipelines/([^/]+)/versions", PipelineVersionsHandler),
    (r"pipelines/([^/]+)/versions/([^/]+)", PipelineVersionHandler),
    (r"pipelines/([^/]+)/versions/([^/]+)/package", PipelineVersionPackageHandler),
    (r"validate", ValidateHandler),
    (r"version-counts", VersionCountsHandler),
]
