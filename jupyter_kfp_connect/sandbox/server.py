"""The Sandbox: a local KFP v2beta1 API behind a chosen login front, in its own thread.

Its own thread and event loop so that blocking callers (``kfp.Client`` in a test, a kernel)
and the Jupyter server's loop can all talk to it from the same process without deadlock.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from . import api, controls, fronts, rbac
from .base import NotFoundHandler
from .store import Store

#: KFP's two pipeline stores (healthz ``pipeline_store``; ``--pipelinesStoreKubernetes``).
PIPELINE_STORES = ("database", "kubernetes")

#: KFP's own namespace: writes to shared pipelines are authorised against it.
KFP_NAMESPACE = "kubeflow"
#: Above KFP's 32 MB so an oversized package meets KFP's error, not a dropped connection.
MAX_BODY_BYTES = 64 * 1024 * 1024


class Sandbox:
    """``Sandbox(mode).start()``; then ``.url``, ``.kfp_host``, ``.store``, ``.front``,
    ``.rbac``, ``.controls``, ``.kube`` (with ``pipeline_store="kubernetes"``); ``.stop()`` (``start()`` again re-binds the same port)."""

    def __init__(self, mode: str = "standalone", db: str = ":memory:", host: str = "127.0.0.1",
                 port: int = 0, pipeline_store: str = "database", *, control_token: str | None = None,
                 state_dir: str | Path | None = None, **front_options: Any) -> None:
        if pipeline_store not in PIPELINE_STORES:
            raise ValueError(f"pipeline_store must be one of {PIPELINE_STORES}, not {pipeline_store!r}")
        self.mode = mode
        self.pipeline_store = pipeline_store
        self.host = host
        self.port = port
        #: What the HTTP controls (``/_sandbox/``) require in ``X-Sandbox-Token``: per start,
        #: random unless given (the Galata run hands one to its browser tests).
        self.control_token = control_token or secrets.token_urlsafe(24)
        #: The only folder the HTTP controls write or delete files in (token files).
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="kfp-sandbox-")).resolve()
        self.kfp_namespace = KFP_NAMESPACE
        #: who may upload a shared (namespace-less) pipeline: "none" checks nobody, as KFP
        #: 2.17's upload endpoints do; "install_namespace" checks create on pipelines in
        #: ``kfp_namespace``, as KFP's gRPC writes to shared pipelines are checked
        self.shared_upload_auth = "none"
        self.store = Store(db)
        self.front = fronts.make_front(mode, self, **front_options)
        # KFP's start-up (main.go): standalone creates the "Default" experiment, multi-user not.
        self.store.default_experiment_at_start = not self.multi_user
        self.store.ensure_default_experiment()
        self.rbac = rbac.Rbac()
        self.controls = controls.Controls(self)
        #: The emulated Kubernetes API (``pipeline_store="kubernetes"`` only); see kube_api.py.
        self.kube = None
        if pipeline_store == "kubernetes":
            from .k8s_store import KubernetesPipelineStore
            from .kube_api import KubeApi

            self.store = KubernetesPipelineStore(self.store, self)
            self.kube = KubeApi(self)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: tornado.httpserver.HTTPServer | None = None

    # --- what callers read ---------------------------------------------------------------
    @property
    def multi_user(self) -> bool:
        return bool(self.front.multi_user)

    @property
    def default_service_account(self) -> str:
        """KFP's DEFAULTPIPELINERUNNERSERVICEACCOUNT: ``pipeline-runner``, set to
        ``default-editor`` by the multi-user manifests (api-service/params.env)."""
        return "default-editor" if self.multi_user else "pipeline-runner"

    @property
    def url(self) -> str:
        """Gateway origin, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def kfp_host(self) -> str:
        """What ``kfp.Client(host=...)`` takes: KFP sits under ``/pipeline`` behind a gateway."""
        prefix = getattr(self.front, "kfp_prefix", "" if self.mode == "standalone" else "/pipeline")
        return self.url + prefix

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def make_app(self) -> tornado.web.Application:
        # Each endpoint serves the API under its own prefixes only (KFP's UI server under both,
        # the API server at the root, the Kubeflow gateway under /pipeline).
        prefixes = tuple(p + "/" for p in self.front.api_prefixes)
        api_routes = [r for r in api.routes(self) if r[0].startswith(prefixes)]
        # The emulated Kubernetes API (pipeline_store="kubernetes") comes first: the fronts'
        # routes would otherwise answer its /apis/ paths as the gateway does.
        kube = self.kube.routes() if self.kube is not None else []
        routes = [*kube, *self.front.routes(), *self.controls.routes(), *api_routes,
                  *self.front.fallback_routes()]
        return tornado.web.Application(
            routes, default_handler_class=NotFoundHandler, default_handler_args={"sandbox": self},
        )

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> "Sandbox":
        if self.running:
            return self
        sockets = tornado.netutil.bind_sockets(self.port, self.host, family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = tornado.httpserver.HTTPServer(self.make_app(), max_body_size=MAX_BODY_BYTES)
                self._server.add_sockets(sockets)
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=serve, name=f"kfp-sandbox-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        if failure:
            self._thread = None
            raise RuntimeError("the sandbox failed to start") from failure[0]
        return self

    def stop(self) -> None:
        """Stop serving (open connections are closed); the store stays open for a restart."""
        if not self.running or self._loop is None:
            return
        loop, server = self._loop, self._server

        async def shutdown() -> None:
            if server is not None:
                server.stop()
                await server.close_all_connections()
            loop.stop()

        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(shutdown()))
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self._server = None

    def close(self) -> None:
        """Stop and release the database (a file store keeps its data for the next Sandbox);
        a state folder the sandbox made itself goes too."""
        self.stop()
        self.store.close()
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"<Sandbox {self.mode} {state}>"
