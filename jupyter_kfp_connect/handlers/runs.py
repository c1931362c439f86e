"""Runs and experiments endpoints: list, read, start, check parameters, act on a run.

Thin over :mod:`..runs`: each handler parses its input, calls the service and replies. JSON
bodies are small (a run's parameters) and capped, so parsing one on the event loop is
bounded; every KFP call is async.
"""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import untrusted_json
from ..errors import KFPConnectError
from ..runs import RunListRequest, RunsService
from .base import KFPConnectHandler

#: A run request carries names and parameter values, or at most a compiled spec.
MAX_JSON_BYTES = 4 * 1024 * 1024
#: Bodies above this are parsed in a thread, not on the event loop.
INLINE_JSON_BYTES = 64 * 1024
_LIST_ARGS = ("page_token", "page_size", "sort_by", "state", "pipeline_id", "pipeline_version_id",
              "experiment_id", "search", "archived")


class _RunsHandler(KFPConnectHandler):
    async def service(self) -> RunsService:
        """The user's connection (detected on first use) wrapped in the runs service."""
        connection = self.kfp_app.connections.get(self.user_key)
        await connection.start()
        return RunsService(connection)

    async def body(self) -> dict[str, Any]:
        raw = self.request.body or b""
        if len(raw) > MAX_JSON_BYTES:
            raise KFPConnectError("bad_request", "The request body is too large for a run request.",
                                  status=413)
        if len(raw) <= INLINE_JSON_BYTES:
            return self.get_json_body_or_empty()
        try:
            body = await asyncio.to_thread(untrusted_json.loads, raw)
        except ValueError as err:  # not JSON, or too deep
            raise KFPConnectError("bad_request", f"The request body is not valid JSON: {err}",
                                  status=400) from err
        if not isinstance(body, dict):
            raise KFPConnectError("bad_request", "The request body must be a JSON object.", status=400)
        return body


class RunsHandler(_RunsHandler):
    """``GET runs``: one KFP page, names resolved. ``POST runs``: check and start a run."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        request = RunListRequest.parse(**{k: self.get_query_argument(k, "") for k in _LIST_ARGS})
        service = await self.service()
        self.reply(await service.list(request))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.body()
        service = await self.service()
        self.reply(await service.create(body))


class RunValidateHandler(_RunsHandler):
    """``POST runs/validate``: the Create-run check, nothing started."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = await self.body()
        service = await self.service()
        self.reply(await service.validate(body))


class RunHandler(_RunsHandler):
    """``GET runs/{id}``: with parameters, tasks, DAG and actions. ``DELETE``: remove it."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        service = await self.service()
        self.reply(await service.get(run_id))

    @tornado.web.authenticated
    @authorized
    async def delete(self, run_id: str) -> None:
        service = await self.service()
        self.reply(await service.delete(run_id))


class RunActionHandler(_RunsHandler):
    """``POST runs/{id}/terminate|retry|archive|unarchive``: the run afterwards."""

    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str, action: str) -> None:
        service = await self.service()
        self.reply(await service.act(run_id, action))


class ExperimentsHandler(_RunsHandler):
    """``GET experiments``: one KFP page of the namespace's experiments."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        service = await self.service()
        self.reply(await service.experiments(
            page_token=self.get_query_argument("page_token", ""),
            page_size=self.get_query_argument("page_size", ""),
            search=self.get_query_argument("search", "")))


ROUTES = [
    (r"runs", RunsHandler),
    (r"runs/validate", RunValidateHandler),
    (r"runs/([^/]+)", RunHandler),
    (r"runs/([^/]+)/(terminate|retry|archive|unarchive)", RunActionHandler),
    (r"experiments", ExperimentsHandler),
]
