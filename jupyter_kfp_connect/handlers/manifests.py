"""Kubernetes-native pipelines: where KFP keeps pipelines, name checks, export and apply.

Thin handlers over :mod:`..manifests` and :mod:`..k8s_names`; packages arrive as the upload
endpoints take them (multipart ``file`` or JSON ``{path}`` in the Jupyter root, bounded and
parsed in a thread), or name a stored version (``{pipeline_id, version_id}``).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.httputil import HTTPFile, parse_body_arguments

from .. import k8s_names, pipeline_store
from ..errors import KFPConnectError
from ..manifests import ManifestsService, kube_target
from .base import KFPConnectHandler
from .pipelines import _UploadHandler, _json_object, read_root_file

_FIELDS = ("name", "display_name", "version_name", "version_display_name", "description", "namespace",
           "include_pipeline", "pipeline_id", "version_id", "pipeline", "version", "path", "yaml")


class _ManifestsMixin:
    async def manifests(self: Any) -> ManifestsService:
        connection = self.kfp_app.connections.get(self.user_key)
        await connection.start()
        app = self.kfp_app
        return ManifestsService(connection, kube_target(app.kubernetes_api, app.kubernetes_token_path,
                                                        app.kubernetes_ca_cert))


class PipelineStoreHandler(_ManifestsMixin, KFPConnectHandler):
    """``GET pipeline-store``: ``{pipeline_store, source}`` (healthz, else the setting)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        connection = self.kfp_app.connections.get(self.user_key)
        await connection.start()
        self.reply(pipeline_store.of_connection(connection, self.kfp_app.pipeline_store))


class NameCheckHandler(KFPConnectHandler):
    """``GET names/check?name=&version_name=``: Kubernetes name problems and proposals (no KFP call)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        name = self.get_query_argument("name", "")
        version = self.get_query_argument("version_name", "") or None
        found = k8s_names.check(name, version)
        self.reply({"valid": not found, "problems": found,
                    "proposed_name": next((f["proposed"] for f in found if f["field"] == "name"), name),
                    "proposed_version_name": next((f["proposed"] for f in found if f["field"] == "version_name"),
                                                  version or "")})


@tornado.web.stream_request_body
class _SourceHandler(_ManifestsMixin, _UploadHandler):
    """Reads what to export: a stored version, a file in the root, or an uploaded package."""

    async def read_source(self) -> tuple[dict[str, Any], bytes | None, str]:
        if self._too_large:
            return await self.read_upload()  # raises the size problem
        chunks, self._chunks = self._chunks, []
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            fields, data, filename = await asyncio.to_thread(_parse_form, content_type, chunks, self.request.headers)
            return fields, data, filename
        fields = await asyncio.to_thread(_json_object, b"".join(chunks))
        fields = {k: fields[k] for k in _FIELDS if k in fields}
        path = fields.get("path")
        if isinstance(path, str) and path.strip():
            allow_hidden = bool(getattr(self.contents_manager, "allow_hidden", False))
            data, filename = await asyncio.to_thread(read_root_file, self.root_dir, path, allow_hidden)
            return fields, data, filename
        return fields, None, ""

    async def export(self, fields: dict[str, Any], data: bytes | None, filename: str) -> dict[str, Any]:
        service = await self.manifests()
        include = str(fields.get("include_pipeline", "true")).lower() not in ("false", "0", "no")
        if data is not None:
            return await service.export_package(
                data, filename, name=_s(fields, "name"), display_name=_s(fields, "display_name"),
                version_name=_s(fields, "version_name"),
                version_display_name=_s(fields, "version_display_name"),
                description=_s(fields, "description"), namespace=_s(fields, "namespace"),
                include_pipeline=include)
        if _s(fields, "pipeline_id"):
            return await service.export_version(_s(fields, "pipeline_id"), _s(fields, "version_id"),
                                                namespace=_s(fields, "namespace"), include_pipeline=include)
        if _s(fields, "pipeline"):
            return await service.export_named(_s(fields, "pipeline"), _s(fields, "version"),
                                              namespace=_s(fields, "namespace"), include_pipeline=include)
        raise KFPConnectError(
            "bad_request", "Say what to export: {pipeline_id, version_id}, {pipeline, version} (names "
            "or ids), {path} of a package in the "
            "Jupyter root, or a multipart 'file'.", status=400)


class ExportHandler(_SourceHandler):
    """``POST manifests/export``: ``{yaml, filename, documents, renamed, names, namespace}``."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        fields, data, filename = await self.read_source()
        self.reply(await self.export(fields, data, filename))


class ApplyHandler(_SourceHandler):
    """``POST manifests/apply``: create or update the objects in the user's cluster.
    ``{yaml}`` applies given manifests; any export source is exported first."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        fields, data, filename = await self.read_source()
        text = fields.get("yaml") if isinstance(fields.get("yaml"), str) else ""
        exported = None
        if not text:
            exported = await self.export(fields, data, filename)
            text = exported["yaml"]
        service = await self.manifests()
        answer = await service.apply(text, _s(fields, "namespace"))
        if exported is not None:
            answer["renamed"] = exported["renamed"]
        self.reply(answer)


class AccessHandler(_ManifestsMixin, KFPConnectHandler):
    """``GET manifests/access?namespace=``: may this server apply here (SelfSubjectAccessReview)?"""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        service = await self.manifests()
        self.reply(await service.access(self.get_query_argument("namespace", "")))


def _s(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key)
    return value.strip() if isinstance(value, str) else ""


def _parse_form(content_type: str, chunks: list[bytes], headers: Any) -> tuple[dict[str, str], bytes, str]:
    """Runs in a thread (up to 33 MB)."""
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments(content_type, b"".join(chunks), arguments, files, headers)
    uploaded = files.get("file") or []
    if not uploaded:
        raise KFPConnectError("bad_request", "The multipart body has no 'file' field.", status=400)
    fields = {k: arguments[k][0].decode("utf-8", "replace") for k in _FIELDS if arguments.get(k)}
    return fields, uploaded[0].body, os.path.basename(uploaded[0].filename or "")


ROUTES = [
    (r"pipeline-store", PipelineStoreHandler),
    (r"names/check", NameCheckHandler),
    (r"manifests/export", ExportHandler),
    (r"manifests/apply", ApplyHandler),
    (r"manifests/access", AccessHandler),
]
