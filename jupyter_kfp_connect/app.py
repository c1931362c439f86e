"""The server extension: configuration traitlets, the services, and the routes.

Configure it as ``c.KFPConnect.<trait>`` in ``jupyter_server_config.py`` or on the
command line (``--KFPConnect.host=...``). How these combine with the KFP environment
variables and the user's settings is written down in ``connection/config.py``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, CaselessStrEnum, Float, Integer, Unicode

from .version import __version__
from .handlers import all_routes

#: Every route lives under ``{base_url}kfp-connect/``.
URL_PREFIX = "kfp-connect"


class KFPConnect(ExtensionApp):
    """Connects JupyterLab, and its kernels, to Kubeflow Pipelines."""

    name = "jupyter_kfp_connect"
    version = __version__
    load_other_extensions = True

    host = Unicode(
        "",
        config=True,
        help="KFP API endpoint, e.g. https://kubeflow.example.com/pipeline. Empty: "
        "KF_PIPELINES_ENDPOINT, then the in-cluster service, then ask the user.",
    )
    ui_host = Unicode(
        "",
        config=True,
        help="Base URL of the KFP UI for links (default: derived from host).",
    )
    namespace = Unicode(
        "",
        config=True,
        help="Default profile namespace (default: the pod's namespace in a cluster, "
        "else the user's last choice).",
    )
    auth = CaselessStrEnum(
        ["auto", "in-cluster", "dex", "token", "cookie", "none"],
        default_value="auto",
        config=True,
        help="How to authenticate to KFP. 'auto' detects a mounted pipelines token, "
        "then probes the endpoint.",
    )
    dex_auth_type = CaselessStrEnum(
        ["local", "ldap"],
        default_value="local",
        config=True,
        help="Default Dex connector offered in the sign-in form.",
    )
    token_path = Unicode(
        "",
        config=True,
        help="Path of the projected pipelines ServiceAccount token (default: "
        "KF_PIPELINES_SA_TOKEN_PATH, then /var/run/secrets/kubeflow/pipelines/token).",
    )
    namespace_path = Unicode(
        "",
        config=True,
        help="File holding the pod's namespace (default: "
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace).",
    )
    verify_ssl = Bool(True, config=True, help="Verify the KFP endpoint's TLS certificate.")
    allow_insecure_tls = Bool(
        True,
        config=True,
        help="Let people turn TLS certificate verification off (the sign-in form's checkbox, "
        "%%kfp login --no-verify-ssl). False: such a sign-in is refused with a clear message.",
    )
    ca_cert = Unicode("", config=True, help="Path of a CA bundle for a private certificate authority.")
    request_timeout = Float(30.0, config=True, help="Seconds before a KFP request is abandoned.")
    max_concurrent_requests = Integer(
        8,
        min=1,
        config=True,
        help="KFP calls one person's connection sends at once; more wait their turn (at most "
        "request_timeout, then kfp_busy). A burst of hundreds of panel or %%kfp calls then neither "
        "fills the Jupyter server's event loop with answers to process at the same moment nor "
        "waits for a pooled connection inside its connect timeout.",
    )
    pipeline_store = CaselessStrEnum(
        ["auto", "database", "kubernetes"],
        default_value="auto",
        config=True,
        help="Where KFP keeps pipelines when its healthz does not say (KFP < 2.14, or healthz "
        "hidden): 'kubernetes' checks names as Kubernetes object names before uploading. "
        "'auto': what healthz reports, else 'database'.",
    )
    kubernetes_api = Unicode(
        "",
        config=True,
        help="Kubernetes API server for exporting and applying Pipeline / PipelineVersion "
        "objects. Empty: the in-cluster API (KUBERNETES_SERVICE_HOST), else none.",
    )
    kubernetes_token_path = Unicode(
        "",
        config=True,
        help="Bearer token file for the Kubernetes API, re-read on every use (default: the "
        "pod's ServiceAccount token, /var/run/secrets/kubernetes.io/serviceaccount/token).",
    )
    kubernetes_ca_cert = Unicode(
        "",
        config=True,
        help="CA bundle for the Kubernetes API (default: the pod's ServiceAccount ca.crt).",
    )
    inject_kernels = Bool(
        True,
        config=True,
        help="Let the front end load the IPython extension (kfp_client, %kfp) into Python kernels.",
    )

    def initialize_settings(self) -> None:
        """Build the per-server services that handlers reach through ``self.extensionapp``."""
        from jupyter_core.paths import jupyter_data_dir

        from .connection import config as connection_config
        from .connection.session import Connections, protect_logs
        from .logs import route_logs

        memory = connection_config.NamespaceMemory(Path(jupyter_data_dir()) / "kfp_connect" / "namespaces.json")
        protect_logs()
        route_logs(self.serverapp.log)
        self.connections = Connections(lambda: connection_config.resolve(self._connection_traits()), memory)
        self.log.debug("jupyter_kfp_connect %s: services ready", __version__)
        from .handlers.kernel_identity import KernelSecrets, hand_secrets_to_kernels

        self.kernel_secrets = KernelSecrets()
        hand_secrets_to_kernels(self.serverapp.kernel_manager, self.kernel_secrets)
        self._share_with_kernels()
        from . import package_worker

        # The package readers' fork server takes seconds to start: do it now, in the background,
        # so the first upload does not wait for it.
        threading.Thread(target=package_worker.warm, name="kfp-connect-package-workers",
                         daemon=True).start()

    def _connection_traits(self) -> dict:
        """The traitlet values the connection config reads (see connection/config.py)."""
        names = ("host", "ui_host", "namespace", "auth", "dex_auth_type", "token_path", "namespace_path",
                 "verify_ssl", "allow_insecure_tls", "ca_cert", "request_timeout",
                 "max_concurrent_requests")
        return {name: getattr(self, name) for name in names}

    async def stop_extension(self) -> None:
        """Close every connection's HTTP pool and stop the package readers on server shutdown."""
        connections = getattr(self, "connections", None)
        if connections is not None:
            await connections.close()
        from . import package_worker

        package_worker.shutdown()

    def initialize_handlers(self) -> None:
        # ExtensionApp joins each pattern onto the server's base_url.
        self.handlers.extend(
            (url_path_join(URL_PREFIX, pattern), handler) for pattern, handler in all_routes()
        )

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        # The port is final only once the server listens (port 0, port_retries): say it again.
        self._share_with_kernels()

    @property
    def kernel_secret(self) -> str:
        """The server's own kernel secret (in its environment; see handlers/kernel_identity.py)."""
        return self.kernel_secrets.server_secret

    def _share_with_kernels(self) -> None:
        """Kernels this server launches inherit its environment: put there the way back to
        it (loopback URL with base_url) and the server's own secret. A kernel started by a
        person's request gets that person's secret instead. Process memory only, never a
        file; see handlers/kernel_identity.py."""
        from .handlers.kernel import loopback_url
        from .kernel import SECRET_ENV, URL_ENV

        url = loopback_url(self.serverapp)
        if url:
            os.environ[URL_ENV] = url
            os.environ[SECRET_ENV] = self.kernel_secret
