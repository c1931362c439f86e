"""``kfp_client``: a real ``kfp.Client`` that always speaks with the server's current credentials.

Why it takes its headers from the Jupyter server instead of holding a token: the server owns
the connection (in-cluster token file, Dex session cookies, a pasted bearer token); watching
the server's view (answered the moment it changes, see :class:`ServerLink`) means a re-login in
the panel, a rotated token file or a namespace change reaches a running kernel within
``HEADER_MAX_AGE``, KFP calls make no round trip to the server for headers, and no secret is
ever stored in the kernel's namespace, a notebook, or a file.

Nothing heavy is imported at module level: ``kfp`` (~0.5 s) loads on first use of ``kfp_client``,
``httpx`` on first use of ``%kfp``; headers come over urllib3, which ``kfp`` has loaded anyway.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from ..errors import KFPConnectError, Problem
from ..i18n import trans
from . import KERNEL_PREFIX, SECRET_ENV, SECRET_HEADER, URL_ENV

#: Seconds a fetched set of headers may be reused unless the server says otherwise (its
#: answer carries ``max_age``) when no watch is held: a burst of KFP calls asks once, a
#: re-login is seen at once. Also the bound, with a watch, on how late a kernel sees a change.
HEADER_MAX_AGE = 0.5
#: Seconds the server may hold a watch before answering "unchanged" (the kernel asks again).
WATCH_WAIT = 25.0
#: Slack for the server's answer to a watch to arrive after WATCH_WAIT.
WATCH_GRACE = 5.0
#: A kernel stops watching after this many seconds without using the server (no KFP call).
WATCH_IDLE = 120.0
#: Seconds between tries when a watch failed (the server restarting, say).
WATCH_RETRY = 2.0
#: (connect, read) seconds for KFP requests made by kfp_client (kfp has no default timeout).
KFP_TIMEOUT = (10.0, 120.0)
#: Headers this module sets on every KFP request; whatever kfp put there itself is replaced.
_AUTH_HEADERS = frozenset({"authorization", "cookie"})


# --- where the server is -----------------------------------------------------------------

@dataclass(frozen=True)
class ServerAddress:
    """The Jupyter server that launched this kernel. The secret never shows in a repr."""

    url: str
    secret: str = field(default="", repr=False)


_address_lock = threading.Lock()
_address: ServerAddress | None = None


def server_address(environ: os._Environ[str] | dict[str, str] | None = None) -> ServerAddress | None:
    """Read the server's address once and take the secret out of the environment.

    Removing it from ``os.environ`` keeps it out of ``%env``, ``!env`` and child processes
    (so a notebook cannot print it by accident); it then lives only in this module's memory.
    """
    global _address
    with _address_lock:
        if _address is None:
            env = os.environ if environ is None else environ
            url = env.get(URL_ENV, "")
            secret = env.pop(SECRET_ENV, "")
            if url and secret:
                _address = ServerAddress(url=url, secret=secret)
        return _address


def _reset_address_for_tests() -> None:
    global _address
    with _address_lock:
        _address = None


def no_server_problem() -> Problem:
    return Problem(
        "no_server",
        trans.__("This kernel does not know a Jupyter server with jupyter_kfp_connect."),
        fix=trans.__(
            "Open the notebook in JupyterLab: kernels it starts inherit the server's address "
            "and secret ({url_env}, {secret_env}). Kernels started elsewhere must be started "
            "by a process the server launched, e.g. papermill in a JupyterLab terminal.",
            url_env=URL_ENV, secret_env=SECRET_ENV),
        status=503,
    )


def _is_loopback(url: str) -> bool:
    import ipaddress

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the line to the server ----------------------------------------------------------------

class ServerLink:
    """Calls the server extension's REST API as this kernel (the secret in a header).

    Headers for KFP calls come from ``kernel/connection``. While the kernel uses them, a daemon
    thread keeps a watch on that view open (``If-None-Match`` + ``Prefer: wait``): the server
    answers it the moment the view changes (sign-in, renewal, expiry, sign-out, namespace, a
    rotated token file, seen within ``WATCH_POLL`` on the server), so a KFP call uses the
    watched view without a round trip here. Without a live watch (it failed, the kernel sat
    idle, ``watch=False``) a call re-asks when its headers are older than ``max_age``.
    """

    def __init__(self, address: ServerAddress, *, max_age: float = HEADER_MAX_AGE,
                 timeout: float = 60.0, watch: bool = True) -> None:
        self.address = address
        self.base = address.url.rstrip("/") + "/kfp-connect/"
        self.max_age = max_age
        self.timeout = timeout
        self.watch = watch
        self._http: Any = None
        self._line: _ViewLine | None = None
        self._lock = threading.Lock()
        self._view: dict[str, Any] | None = None
        self._etag = ""
        self._fetched = 0.0
        #: (tag, until): while a watch on ``tag`` is held, the view with that tag is the server's.
        self._watching: tuple[str, float] = ("", 0.0)
        self._watcher: threading.Thread | None = None
        self._used = 0.0
        #: Round trips made on a caller's path for the view (what the watch saves).
        self.fetches = 0

    def __repr__(self) -> str:
        return f"ServerLink({self.base!r})"

    def _new_client(self, timeout: Any) -> Any:
        import httpx

        auth = {SECRET_HEADER: self.address.secret}
        # Loopback to our own server: its certificate (if any) rarely names 127.0.0.1.
        verify = not (self.base.startswith("https:") and _is_loopback(self.base))
        return httpx.Client(base_url=self.base, headers=auth, timeout=timeout,
                            verify=verify, trust_env=False)

    def _client(self) -> Any:
        if self._http is None:
            self._http = self._new_client(self.timeout)
        return self._http

    def _unreachable(self, err: Exception) -> KFPConnectError:
        return KFPConnectError(
            "server_unreachable",
            trans.__("The Jupyter server at {url} did not answer: {error}",
                     url=self.address.url, error=err),
            fix=trans.__("The server that started this kernel may have stopped; reopen the "
                         "notebook in a running JupyterLab and restart the kernel."),
            status=503,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request to ``{base_url}kfp-connect/{path}``; an error answer raises its Problem."""
        import httpx

        try:
            response = self._client().request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise self._unreachable(err) from err
        if response.is_success:
            return response.json() if response.content else None
        raise _problem_of(response.status_code, response.content, response.request.url.path)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """The server's regular API (status, login, pipelines...) as this kernel."""
        return self.call(method, f"{KERNEL_PREFIX}/api/{path.lstrip('/')}", **kwargs)

    def connection(self, *, fresh: bool = False, check: bool = False) -> dict[str, Any]:
        """The server's current connection for this kernel: host, namespace, fresh headers.

        ``check`` asks the server to prove the session on KFP first, so an expired Dex
        session is noticed (and renewed, with "keep me signed in") before headers come back.
        """
        with self._lock:
            now = self._used = time.monotonic()
            view = self._view
            if not (fresh or check) and view is not None and view.get("connected"):
                tag, until = self._watching
                if tag == self._etag and now < until:
                    return view
                if now - self._fetched < min(self.max_age, float(view.get("max_age", self.max_age))):
                    return view
            self.fetches += 1
            if self._line is None:
                self._line = _ViewLine(self, read=self.timeout)
            try:
                status, headers, content = self._line.get(check=check)
            except _ViewLine.errors() as err:
                raise self._unreachable(err) from err
            if not 200 <= status < 300:
                self._view = None
                raise _problem_of(status, content, self._line.path)
            view = json.loads(content)
            self._store(view, headers.get("etag", ""))
            self._start_watching()
            return view

    def _store(self, view: dict[str, Any], etag: str) -> None:
        """Keep the server's latest view (under the lock); only working headers are reused."""
        self._view, self._etag, self._fetched = view, etag, time.monotonic()

    def forget(self) -> None:
        """Drop cached headers (after a login, logout or namespace change made here)."""
        with self._lock:
            self._view, self._etag, self._watching = None, "", ("", 0.0)

    def kfp_headers(self, *, fresh: bool = False) -> dict[str, str]:
        """Headers for the next KFP request; raises the server's diagnosis when not connected."""
        return dict(connected(self.connection(fresh=fresh))["headers"])

    # --- the watch ---------------------------------------------------------------------------

    def _start_watching(self) -> None:
        """Start the watch thread if none runs (under the lock)."""
        if not (self.watch and self._etag and self._view and self._view.get("connected")):
            return  # a view without working headers is asked for again on each use anyway
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._watcher = threading.Thread(target=self._watch, name="kfp-connect-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        """Hold a watch on the current view while the kernel uses KFP, then stop."""
        line = _ViewLine(self, read=WATCH_WAIT + 15.0)
        pause = 0.0
        try:
            while True:
                with self._lock:
                    if self._watcher is not threading.current_thread():
                        return
                    etag, now, view = self._etag, time.monotonic(), self._view
                    if not (etag and view and view.get("connected")) or now - self._used > WATCH_IDLE:
                        self._watching = ("", 0.0)
                        self._watcher = None
                        return
                    # The server answers as soon as the view changes, and within WATCH_WAIT in any case.
                    self._watching = (etag, now + WATCH_WAIT + WATCH_GRACE) if not pause else ("", 0.0)
                if pause:
                    time.sleep(pause)
                    pause = 0.0
                    continue
                status, view, tag = 0, None, ""
                try:
                    status, headers, content = line.get(
                        {"If-None-Match": etag, "Prefer": f"wait={WATCH_WAIT:g}"})
                    tag = headers.get("etag", "")
                    if status == 200:
                        view = json.loads(content)
                except (*_ViewLine.errors(), ValueError):
                    status = 0  # nothing printed: this thread must never write into a cell
                with self._lock:
                    if status == 304:
                        continue
                    if status == 200 and isinstance(view, dict) and tag:
                        self._store(view, tag)
                        continue
                    self._watching = ("", 0.0)  # back to max_age until the watch works again
                    if status in (401, 403, 404):
                        self._watcher = None  # this server will not watch for us; do not insist
                        return
                pause = WATCH_RETRY
        finally:
            line.close()


class _ViewLine:
    """``GET kernel/connection`` (fetches and watches): over urllib3 to a loopback http server.

    ``kfp`` has loaded urllib3 by the time ``kfp_client`` asks, so the credential path imports
    nothing more; httpx (with its CLI's imports) and its CA bundle cost ~0.3-1 s on first use
    in a fresh kernel. An https server is reached with httpx, as the rest of the API is.
    """

    def __init__(self, link: ServerLink, *, read: float) -> None:
        self.path = f"{KERNEL_PREFIX}/connection"
        self._url = link.base + self.path
        self._auth = {SECRET_HEADER: link.address.secret}
        self._pool: Any = None
        self._httpx: Any = None
        if link.base.startswith("https:"):
            import httpx

            self._httpx = link._new_client(httpx.Timeout(10.0, read=read))
        else:
            import urllib3

            self._pool = urllib3.PoolManager(num_pools=1, retries=False,
                                             timeout=urllib3.Timeout(connect=10.0, read=read))

    @staticmethod
    def errors() -> tuple[type[Exception], ...]:
        """What a failed request raises (either library), for ``except``."""
        import urllib3

        kinds: list[type[Exception]] = [urllib3.exceptions.HTTPError, OSError]
        httpx = sys.modules.get("httpx")  # only loaded (and only raised) for an https server
        if httpx is not None:
            kinds.append(httpx.HTTPError)
        return tuple(kinds)

    def get(self, headers: Mapping[str, str] | None = None, *, check: bool = False) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of one GET."""
        url = self._url + ("?check=1" if check else "")
        sent = {**self._auth, **(headers or {})}
        if self._httpx is not None:
            response = self._httpx.get(url, headers=sent)
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content
        response = self._pool.request("GET", url, headers=sent, redirect=False)
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.data

    def close(self) -> None:
        if self._httpx is not None:
            self._httpx.close()
        else:
            self._pool.clear()


def _problem_of(status: int, content: bytes, path: str) -> KFPConnectError:
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        known = {k: body["error"][k] for k in ("code", "message", "fix", "yaml", "status", "details")
                 if k in body["error"]}
        known.setdefault("code", "http_error")
        known.setdefault("message", trans.__("The Jupyter server answered {status}.",
                                             status=status))
        return KFPConnectError.from_problem(Problem(**known))
    if status in (401, 403):
        return KFPConnectError(
            "kernel_not_authorized",
            trans.__("The Jupyter server did not accept this kernel's credentials."),
            fix=trans.__("Restart the kernel from JupyterLab: kernels learn the server's secret "
                         "when they start, and the server makes a new one each time it starts."),
            status=status,
        )
    return KFPConnectError(
        "http_error",
        trans.__("The Jupyter server answered {status} for {path}.", status=status, path=path),
        fix=trans.__("Check that jupyter_kfp_connect is installed and enabled where the server "
                     "runs (jupyter server extension list)."),
        status=status,
    )


def connected(info: Mapping[str, Any]) -> Mapping[str, Any]:
    """``info`` if the server is signed in to KFP, else raise its diagnosis (fail fast)."""
    if info.get("connected"):
        return info
    problem = info.get("problem") or {
        "code": "not_signed_in",
        "message": trans.__("Not signed in to Kubeflow Pipelines."),
        "fix": trans.__("Sign in in the Kubeflow Pipelines panel, or run %kfp login."),
        "status": 401,
    }
    raise KFPConnectError.from_problem(Problem(**problem))


# --- the kfp.Client --------------------------------------------------------------------------

def _merge_headers(base: Mapping[str, str], fresh: Mapping[str, str]) -> dict[str, str]:
    """``base`` without kfp's own auth headers, plus the server's (case-insensitively)."""
    replaced = _AUTH_HEADERS | {name.lower() for name in fresh}
    merged = {k: v for k, v in base.items() if k.lower() not in replaced}
    merged.update(fresh)
    return merged


def _looks_like_login_page(response: Any) -> bool:
    """A gateway's sign-in page in place of JSON: the session is gone (authservice's 302)."""
    content_type = (response.getheader("content-type") or "").lower()
    return "text/html" in content_type


def _session_problem(info: Mapping[str, Any], status: int) -> KFPConnectError:
    return KFPConnectError(
        "session_expired",
        trans.__("Kubeflow Pipelines did not accept this session (HTTP {status}).", status=status),
        fix=trans.__("Sign in again in the Kubeflow Pipelines panel or with %kfp login; running "
                     "kernels pick the new session up without a restart."),
        status=401,
        details={"host": info.get("host", "")},
    )


def attach_server_credentials(api_client: Any, link: ServerLink) -> None:
    """Make every request of a ``kfp_server_api.ApiClient`` carry the server's current headers.

    ``ApiClient.request`` is where the generated client sends each call, with its final
    headers; hooking there (instead of ``TokenCredentialsBase``, which can only set an
    ``Authorization`` value) also covers Dex session cookies. A 401 or a login page is retried
    once with headers fetched afresh, so a re-login that just happened is used at once.
    """
    from kfp_server_api.exceptions import ApiException

    send = api_client.request

    def request(method: str, url: str, query_params: Any = None, headers: Any = None,
                **kwargs: Any) -> Any:
        if kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = KFP_TIMEOUT
        used: dict[str, str] | None = None
        for attempt in range(2):
            info = connected(link.connection(check=attempt > 0))
            fresh = dict(info["headers"])
            if attempt and fresh == used:
                raise _session_problem(info, status)
            used = fresh
            try:
                response = send(method, url, query_params=query_params,
                                headers=_merge_headers(headers or {}, fresh), **kwargs)
            except ApiException as err:
                status = err.status or 0
                if status == 401:
                    continue
                raise
            if _looks_like_login_page(response):
                status = response.status
                continue
            return response
        raise _session_problem(info, status)

    api_client.request = request


_client_class_lock = threading.Lock()
_client_class: type | None = None


def kfp_client_class() -> type:
    """``kfp.Client`` subclass bound to the server; built on first use (imports ``kfp``)."""
    global _client_class
    with _client_class_lock:
        if _client_class is not None:
            return _client_class
        import kfp

        class ServerConnectedClient(kfp.Client):
            """A ``kfp.Client`` whose credentials and namespace come from the Jupyter server."""

            def __init__(self, link: ServerLink, info: Mapping[str, Any]) -> None:
                self._kfp_connect_link = link
                self._kfp_connect_building = True
                namespace = info.get("namespace") or ""
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)
                    super().__init__(
                        host=info["host"],
                        # Any namespace other than "kubeflow" keeps the constructor off the network.
                        namespace=namespace or "kubeflow",
                        ui_host=info.get("ui_host") or None,
                        verify_ssl=bool(info.get("verify_ssl", True)),
                        ssl_ca_cert=info.get("ca_cert") or None,
                    )
                self._kfp_connect_building = False
                attach_server_credentials(self._pipelines_api.api_client, link)

            def get_kfp_healthz(self, sleep_duration: int = 5) -> Any:
                if getattr(self, "_kfp_connect_building", False):
                    # The constructor probes healthz (5 retries, 5 s apart) to guess a
                    # namespace; the server already chose one, so skip the probe.
                    import kfp_server_api

                    return kfp_server_api.V2beta1GetHealthzResponse(multi_user=False)
                return super().get_kfp_healthz(sleep_duration=sleep_duration)

            def get_user_namespace(self) -> str:
                """The namespace chosen in the panel or with ``%kfp namespace`` (live)."""
                return self._kfp_connect_link.connection().get("namespace") or ""

            def set_user_namespace(self, namespace: str) -> None:
                """Choose the namespace for this server (the panel and every kernel follow)."""
                self._kfp_connect_link.api("PUT", "namespace", json={"namespace": namespace})
                self._kfp_connect_link.forget()
                self._context_setting["namespace"] = namespace

        _client_class = ServerConnectedClient
        return _client_class


def connect_kfp_client(link: ServerLink) -> Any:
    """Build the client now; fails with the server's diagnosis when not signed in.

    ``kfp`` is imported before the view is fetched: the import takes longer than ``max_age``,
    so the other order made the first call fetch the view a second time.
    """
    cls = kfp_client_class()
    return cls(link, connected(link.connection(fresh=True)))


# --- the lazy stand-in in the user namespace ---------------------------------------------------

#: Attribute names that IPython's display and completion machinery probe; answering them must
#: not build the client (that would import kfp and call the server on a bare ``kfp_client``).
_PROBES = ("_repr_", "_ipython_", "__")


class LazyKFPClient:
    """Stands in for ``kfp.Client`` until an attribute is used, then builds and forwards.

    Loading the extension therefore costs microseconds; ``import kfp`` and the first call to
    the server happen on first use. ``kfp_client.reconnect()`` drops the built client.
    """

    __slots__ = ("_factory", "_client", "_lock")

    def __init__(self, factory: Callable[[], Any]) -> None:
        object.__setattr__(self, "_factory", factory)
        object.__setattr__(self, "_client", None)
        object.__setattr__(self, "_lock", threading.Lock())

    def _get(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._factory()
                    object.__setattr__(self, "_client", client)
        return client

    def __getattr__(self, name: str) -> Any:
        if name.startswith(_PROBES):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __dir__(self) -> list[str]:
        names = set(object.__dir__(self))
        try:
            names.update(dir(kfp_client_class()))
        except ImportError:
            pass
        return sorted(n for n in names if not n.startswith("_kfp_connect"))

    def reconnect(self) -> None:
        """Forget the built client; the next use builds a new one from the server's answer."""
        with self._lock:
            object.__setattr__(self, "_client", None)

    @property
    def built(self) -> bool:
        return self._client is not None

    def __repr__(self) -> str:
        state = "connected" if self._client is not None else "built on first use"
        return f"<kfp_client: kfp.Client through the Jupyter server ({state})>"
