"""The least any Jupyter server extension pays to answer with a KFP page: one authenticated,
authorized handler that forwards the same request through the same transport and writes
KFP's bytes back unchanged. ``bench_list_overhead.py`` loads it into its Jupyter server to
show how much of the list handler's overhead is Jupyter's own and how much is ours.

The KFP host comes from ``BENCH_KFP_HOST``; the bearer token from the request's
``X-KFP-Authorization`` header (the benchmark's own sandbox token, never stored).
"""

from __future__ import annotations

import os

import httpx
import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from jupyter_kfp_connect.connection.transport import KFPTransport

ROUTE = "kfp-floor/pipelines"


class ForwardHandler(APIHandler):
    auth_resource = "kfp_floor"
    transport: KFPTransport | None = None

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        if ForwardHandler.transport is None:
            ForwardHandler.transport = KFPTransport()
        url = f"{os.environ['BENCH_KFP_HOST']}/apis/v2beta1/pipelines?{self.request.query}"
        headers = {"Authorization": self.request.headers.get("X-KFP-Authorization", "")}
        response = await self.transport.handle_async_request(httpx.Request("GET", url, headers=headers))
        body = await response.aread()
        await response.aclose()
        self.set_status(response.status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(body)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_floor"}]


def _load_jupyter_server_extension(serverapp) -> None:
    route = url_path_join(serverapp.web_app.settings["base_url"], ROUTE)
    serverapp.web_app.add_handlers(".*$", [(route, ForwardHandler)])
