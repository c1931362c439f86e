"""Where the connection settings come from, and which source wins.

Precedence, highest first (each value is taken from the first source that sets it):

1. **The user's own choices**: the sign-in form or ``%kfp login`` (``POST login`` body:
   ``host``, ``auth``, ``connector``, ...) and the namespace the user picked (``PUT namespace``,
   remembered per user and endpoint in ``<jupyter data dir>/kfp_connect/namespaces.json``; not
   secret). The panel's JupyterLab settings (schema/plugin.json) shape the panel, not the
   connection.
2. **Traitlets**: ``c.KFPConnect.host``, ``.ui_host``, ``.namespace``, ``.auth``,
   ``.token_path``, ``.namespace_path``, ``.verify_ssl``, ``.ca_cert``, ``.request_timeout``,
   ``.max_concurrent_requests``.
3. **The environment variables kfp.Client reads**: ``KF_PIPELINES_ENDPOINT`` (host),
   ``KF_PIPELINES_UI_ENDPOINT`` (UI links), ``KF_PIPELINES_SA_TOKEN_PATH`` (token file).
   ``kfp.Client`` has no namespace variable; it reads the pod's ServiceAccount namespace file,
   and so do we (step 4).
4. **In-cluster defaults** (only when ``KUBERNETES_SERVICE_HOST`` is set): host
   ``http://ml-pipeline.kubeflow.svc.cluster.local:8888``, token
   ``/var/run/secrets/kubeflow/pipelines/token``, namespace from
   ``/var/run/secrets/kubernetes.io/serviceaccount/namespace``. Outside a cluster there is no
   default host: the user is asked for one.

Why this order: the person at the keyboard knows best what they want right now, the admin
who wrote the server config knows the deployment, and environment variables are what
PodDefaults and notebook images set for ``kfp.Client``, so we honour them the same way.
Nothing secret is ever read from, or written to, configuration.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from .. import problems
from ..errors import KFPConnectError

log = logging.getLogger(__name__)

ENV_ENDPOINT = "KF_PIPELINES_ENDPOINT"
ENV_UI_ENDPOINT = "KF_PIPELINES_UI_ENDPOINT"
ENV_TOKEN_PATH = "KF_PIPELINES_SA_TOKEN_PATH"
ENV_K8S_HOST = "KUBERNETES_SERVICE_HOST"

IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"
DEFAULT_TOKEN_PATH = "/var/run/secrets/kubeflow/pipelines/token"
DEFAULT_NAMESPACE_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

AUTH_MODES = ("auto", "in-cluster", "dex", "token", "cookie", "none")


@dataclass(frozen=True)
class ConnectionConfig:
    """The resolved settings for one connection, with where each came from (for status)."""

    host: str = ""
    ui_host: str = ""
    namespace: str = ""
    auth: str = "auto"
    dex_auth_type: str = "local"
    token_path: str = DEFAULT_TOKEN_PATH
    namespace_path: str = DEFAULT_NAMESPACE_PATH
    verify_ssl: bool = True
    #: the admin's c.KFPConnect.allow_insecure_tls: may anyone turn verification off?
    allow_insecure_tls: bool = True
    ca_cert: str = ""
    request_timeout: float = 30.0
    #: KFP calls one connection has in flight at once; the rest wait their turn (c.KFPConnect.max_concurrent_requests)
    max_concurrent_requests: int = 8
    in_cluster: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)

    def with_request(self, **overrides: Any) -> "ConnectionConfig":
        """Apply the user's explicit choices (precedence 1); empty values do not override."""
        given = {k: v for k, v in overrides.items() if v not in (None, "")}
        sources = dict(self.sources)
        sources.update({k: "request" for k in given})
        return replace(self, **given, sources=sources)

    @property
    def verify(self) -> bool | str:
        """What TLS verification means here: False, True, or a CA bundle path."""
        if not self.verify_ssl:
            return False
        return self.ca_cert or True


def normalise_host(text: str) -> str:
    """What people paste: the KFP UI's URL (``.../pipeline/#/pipelines``), a trailing slash,
    no scheme. Keep scheme, host and path; like kfp.Client, default to https.

    Raises ``bad_url`` (400) for what no request could be sent to (a port that is not a
    number, an unclosed ``[``, no host, a scheme other than http/https)."""
    text = (text or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as err:
        raise KFPConnectError.from_problem(problems.bad_url(text, str(err))) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise KFPConnectError.from_problem(problems.bad_url(text, "it needs http:// or https:// and a host name"))
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def resolve(traits: Mapping[str, Any], env: Mapping[str, str] | None = None) -> ConnectionConfig:
    """Combine traitlets (``traits``: the KFPConnect values), environment and defaults."""
    env = os.environ if env is None else env
    in_cluster = bool(env.get(ENV_K8S_HOST))
    sources: dict[str, str] = {}

    def pick(name: str, env_name: str | None, default: str) -> str:
        if traits.get(name):
            sources[name] = "config"
            return str(traits[name])
        if env_name and env.get(env_name):
            sources[name] = f"env:{env_name}"
            return env[env_name]
        sources[name] = "default"
        return default

    host = pick("host", ENV_ENDPOINT, IN_CLUSTER_HOST if in_cluster else "")
    if not host:
        sources["host"] = "unset"
    ui_host = pick("ui_host", ENV_UI_ENDPOINT, "")
    token_path = pick("token_path", ENV_TOKEN_PATH, DEFAULT_TOKEN_PATH)
    namespace_path = pick("namespace_path", None, DEFAULT_NAMESPACE_PATH)
    namespace = pick("namespace", None, "")
    try:
        host = normalise_host(host)
    except KFPConnectError:
        host = host.strip()  # kept as written: the first request reports it as bad_url
    return ConnectionConfig(
        host=host,
        ui_host=ui_host.rstrip("/"),
        namespace=namespace,
        auth=str(traits.get("auth") or "auto").lower(),
        dex_auth_type=str(traits.get("dex_auth_type") or "local"),
        token_path=token_path,
        namespace_path=namespace_path,
        verify_ssl=bool(traits.get("verify_ssl", True)),
        allow_insecure_tls=bool(traits.get("allow_insecure_tls", True)),
        ca_cert=str(traits.get("ca_cert") or ""),
        request_timeout=float(traits.get("request_timeout") or 30.0),
        max_concurrent_requests=max(1, int(traits.get("max_concurrent_requests") or 8)),
        in_cluster=in_cluster,
        sources=sources,
    )


class NamespaceMemory:
    """The namespace each user last chose, per KFP endpoint: a small JSON file (not secret).

    Written atomically (temp file + rename) so two servers sharing a data dir never read
    half a file; a broken file is treated as empty rather than failing the connection.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("kfp-connect: ignoring unreadable %s (%s)", self.path, err)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    @staticmethod
    def _key(user: str, host: str) -> str:
        return f"{user}|{host}"

    def get(self, user: str, host: str) -> str:
        return self._load().get(self._key(user, host), "")

    def set(self, user: str, host: str, namespace: str) -> None:
        data = self._load()
        data[self._key(user, host)] = namespace
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".namespaces.")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as err:
            log.warning("kfp-connect: could not remember the namespace in %s (%s)", self.path, err)
