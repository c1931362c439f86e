"""``kfp_pipelines``: kfp's name-first ``kfp.kubeflow_client.PipelinesClient``, signed in like
``kfp_client``.

kfp 2.17 ships ``PipelinesClient`` (the Kubeflow SDK re-exports it as ``kubeflow.pipelines``):
upload-or-new-version by name, ``run`` by name, ``wait_for_run_status``. Its backend talks to
KFP through one ``kfp_server_api.ApiClient``; that client gets the same hook as
``kfp_client`` (:func:`.client.attach_server_credentials`), so every request carries the
server's current headers (same identity, fresh credentials, a re-login seen at once) and no
token is ever held in the kernel. Its namespace is the server's, read live; its ``kfp_client``
escape hatch is a ``kfp_client`` of ours, not an unauthenticated ``kfp.Client``.

Built on first use (``import kfp`` then); with a kfp that has no ``kfp.kubeflow_client`` the
first use says which kfp to install.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from ..errors import KFPConnectError
from ..i18n import trans
from .client import LazyKFPClient, ServerLink, attach_server_credentials, connect_kfp_client, connected

#: The name users type.
PIPELINES_NAME = "kfp_pipelines"

_class_lock = threading.Lock()
_class: type | None = None


def unavailable_problem(reason: str) -> KFPConnectError:
    try:
        from kfp import __version__ as version
    except Exception:  # kfp itself missing
        version = trans.__("not installed")
    return KFPConnectError(
        "kfp_pipelines_unavailable",
        trans.__("kfp_pipelines needs kfp.kubeflow_client.PipelinesClient, which this kernel's "
                 "kfp ({version}) does not have: {reason}.", version=version, reason=reason),
        fix=trans.__("Install kfp 2.17 or newer in this kernel's environment (pip install "
                     "'kfp>=2.17') and restart the kernel; kfp_client works with any kfp 2.x."),
        status=501)


def pipelines_client_class() -> type:
    """``PipelinesClient`` subclass bound to the server; built on first use (imports ``kfp``)."""
    global _class
    with _class_lock:
        if _class is not None:
            return _class
        try:
            import kfp_server_api
            from kfp.kubeflow_client import KubernetesBackendConfig, PipelinesClient
            from kfp.kubeflow_client.backends.kubernetes import KubernetesBackend
        except ImportError as err:
            raise unavailable_problem(str(err)) from None

        class ServerBackend(KubernetesBackend):
            """kfp's backend with the server as the only source of host, TLS and credentials."""

            def __init__(self, config: Any, link: ServerLink) -> None:
                self._kfp_connect_link = link
                super().__init__(config)
                # All five service APIs share this one ApiClient.
                attach_server_credentials(self._pipelines_api.api_client, link)

            def _build_api_configuration(self, config: Any) -> Any:
                # No token, no in-cluster token file: the server's headers go on each request.
                api_config = kfp_server_api.Configuration()
                api_config.host = (config.base_url or "").rstrip("/")
                api_config.verify_ssl = bool(config.is_secure)
                if config.custom_ca:
                    api_config.ssl_ca_cert = config.custom_ca
                return api_config

            def verify_backend(self) -> None:
                """The server proved the connection already; no probe from the constructor."""

            @property
            def namespace(self) -> str:
                """The namespace chosen in the panel or with ``%kfp namespace`` (live)."""
                return self._kfp_connect_link.connection().get("namespace") or ""

            def refresh_credentials(self) -> None:
                self._kfp_connect_link.forget()

        class ServerConnectedPipelinesClient(PipelinesClient):
            """``kfp.kubeflow_client.PipelinesClient`` through the Jupyter server."""

            def __init__(self, link: ServerLink, info: Mapping[str, Any]) -> None:
                config = KubernetesBackendConfig(
                    base_url=info["host"], is_secure=bool(info.get("verify_ssl", True)),
                    custom_ca=info.get("ca_cert") or None, namespace=info.get("namespace") or None)
                self._kfp_connect_link = link
                self._backend = ServerBackend(config, link)
                self._kfp_client_instance = None

            @property
            def kfp_client(self) -> Any:
                """The escape hatch: a ``kfp.Client`` signed in through the server too."""
                if self._kfp_client_instance is None:
                    self._kfp_client_instance = connect_kfp_client(self._kfp_connect_link)
                return self._kfp_client_instance

        _class = ServerConnectedPipelinesClient
        return _class


def connect_pipelines_client(link: ServerLink) -> Any:
    """Build it now; fails fast with the server's diagnosis when not signed in."""
    cls = pipelines_client_class()
    return cls(link, connected(link.connection(fresh=True)))


class LazyPipelinesClient(LazyKFPClient):
    """Stands in for ``PipelinesClient`` until first use (nothing imported before)."""

    __slots__ = ()

    def __dir__(self) -> list[str]:
        names = set(object.__dir__(self))
        try:
            names.update(dir(pipelines_client_class()))
        except KFPConnectError:
            pass
        return sorted(n for n in names if not n.startswith("_kfp_connect"))

    def __repr__(self) -> str:
        state = "connected" if self._client is not None else "built on first use"
        return f"<kfp_pipelines: kfp.kubeflow_client.PipelinesClient through the Jupyter server ({state})>"
