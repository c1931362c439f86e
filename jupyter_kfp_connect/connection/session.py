"""One Jupyter user's connection to KFP: credentials, state, and every request it sends.

States: ``signed_out`` (nothing to send yet), ``connected``, ``expired`` (the gateway
answered with its login page: the session cookie is no longer good), ``error`` (a
problem the user or an admin must fix: no token mounted, unreachable, ...).

Secrets (password, cookies, tokens) stay in this object, in memory; ``status()`` only
says what kind of credential is in use. The password is kept only when the user ticked
"keep me signed in", so that an expired session can be renewed without asking again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
from dataclasses import replace
from typing import Any, AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

from .. import problems
from ..errors import KFPConnectError, Problem
from . import detect as detection
from . import kfp_calls, pacing
from .config import ConnectionConfig, NamespaceMemory, normalise_host
from .credentials import BearerToken, Credentials, Secret, SessionCookies, TokenFile
from .k8s import AccessReport, read_pod_namespace
from .transport import KFPTransport

log = logging.getLogger(__name__)

API_PREFIX = "/apis/v2beta1/"
SIGNED_OUT, CONNECTED, EXPIRED, ERROR = "signed_out", "connected", "expired", "error"
NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: cookie names Kubeflow's gateways use, for a pasted bare value
LOGIN_AGAIN = ("invalid_credentials", "not_signed_in", "session_expired", "bad_request", "token_rejected")
DEFAULT_COOKIE = {"oauth2-proxy": "oauth2_proxy_kubeflow", "authservice": "authservice_session"}

CONNECT_TIMEOUT = 5.0
#: The dashboard's roles (KFAM's admin/edit/view), the namespace one owns first.
ROLE_PREFERENCE = {"owner": 0, "contributor": 1, "viewer": 2}
#: The most of one KFP answer that is read (a version's answer carries its spec, up to 32 MB
#: of YAML as JSON); more is a broken or hostile server, refused as it streams in.
MAX_ANSWER_BYTES = 64 * 1024 * 1024

Listener = Callable[[str, "Connection"], None]


def protect_logs() -> None:
    """Keep secrets out of the server log even at DEBUG: httpcore's debug trace prints every
    response header (``Set-Cookie`` of a session), httpx's info line every URL (the one-time
    OAuth ``code`` of a login). Process-wide by necessity: logging levels are."""
    logging.getLogger("httpcore").setLevel(max(logging.getLogger("httpcore").level, logging.INFO))
    logging.getLogger("httpx").setLevel(max(logging.getLogger("httpx").level, logging.WARNING))


def _ssl_verify(config: ConnectionConfig) -> ssl.SSLContext | bool:
    if not config.verify_ssl:
        if not config.allow_insecure_tls:
            raise KFPConnectError(
                "tls_required", "This Jupyter server does not allow turning TLS certificate "
                "verification off (its administrator set c.KFPConnect.allow_insecure_tls = False).",
                fix="Sign in with certificate verification on; for a private certificate authority, "
                    "give its CA bundle (ca_cert) instead.", status=400)
        return False
    if config.ca_cert:
        try:
            return ssl.create_default_context(cafile=config.ca_cert)
        except (OSError, ssl.SSLError) as err:
            raise KFPConnectError(
                "bad_request", f"The CA bundle {config.ca_cert} cannot be used: {err.strerror or err}.",
                fix="Give the path, on the Jupyter server, of a PEM file with the cluster's CA certificate.",
                status=400) from None
    return True


def _timeout(config: ConnectionConfig) -> httpx.Timeout:
    """The request timeout, with connecting (TCP + TLS handshake) capped at 5 s: a handshake
    against a plain-HTTP port hangs rather than fails, and should be told apart quickly."""
    return httpx.Timeout(config.request_timeout, connect=min(config.request_timeout, CONNECT_TIMEOUT))


def _json_headers(kwargs: dict[str, Any]) -> dict[str, str]:
    """The caller's headers with ``Accept: application/json`` unless it chose another."""
    headers = dict(kwargs.pop("headers", None) or {})
    if not any(name.lower() == "accept" for name in headers):
        headers["Accept"] = "application/json"
    return headers


async def _read_capped(response: httpx.Response, limit: int) -> bytes | None:
    """The decoded body, or None as soon as it passes ``limit`` (a 200 MB answer once took
    300 MB of memory: it was read whole before anything looked at it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Connection:
    """The KFP connection of one Jupyter user (see the module docstring for the states)."""

    def __init__(self, user_key: str, config: ConnectionConfig, memory: NamespaceMemory | None = None) -> None:
        self.user_key = user_key
        self._base_config = config
        self.config = config
        self.memory = memory
        self.state = SIGNED_OUT
        self.credentials: Credentials | None = None
        self.plan: detection.AuthPlan | None = None
        self.problem: Problem | None = None
        self.healthz: dict[str, Any] = {}
        self.username = ""
        self.connector = config.dex_auth_type
        self.keep_signed_in = False
        self.namespace_source = ""
        self.access: AccessReport | None = None
        self.connected_at: float | None = None
        #: bumps on every successful (re-)login: kernels compare it to know their headers changed
        self.generation = 0
        self._namespace = ""
        self._password: Secret | None = None
        self._transport: KFPTransport | None = None
        self._timeouts: dict[str, Any] = {}
        self._transport_key: tuple[Any, ...] | None = None
        self._relogin_lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        #: admission to KFP: at most max_concurrent_requests calls in flight, the rest queue here
        self._admission = asyncio.Semaphore(config.max_concurrent_requests)
        self._in_flight = 0
        self._started = False
        self._listeners: list[Listener] = []

    # --- public read-only view -------------------------------------------------------------
    @property
    def host(self) -> str:
        return self.config.host

    @property
    def api_base(self) -> str:
        """KFP's base URL (what kfp.Client(host=...) takes); API paths go under /apis/v2beta1/."""
        return self.config.host

    @property
    def origin(self) -> str:
        """The gateway origin: where the Kubeflow dashboard (``/api/workgroup/...``) lives."""
        parts = urlsplit(self.config.host)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))

    @property
    def ui_base(self) -> str:
        """Base URL for links into the KFP UI (the in-cluster API service has none)."""
        if self.config.ui_host:
            return self.config.ui_host
        if ".svc.cluster.local" in self.config.host or self.config.host.endswith(":8888"):
            return ""
        return self.config.host

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def verify(self) -> bool | str:
        """TLS verification for other clients (kfp.Client): False, True or a CA bundle path."""
        return self.config.verify

    @property
    def multi_user(self) -> bool | None:
        return self.healthz.get("multi_user") if self.healthz else None

    @property
    def auth_kind(self) -> str:
        if self.credentials is not None:
            return self.credentials.kind
        return self.plan.mode if self.plan else self.config.auth

    def headers(self) -> dict[str, str]:
        """Fresh credentials for a request (the token file is re-read on every call)."""
        if self.state == EXPIRED and not self.keep_signed_in:
            raise KFPConnectError.from_problem(problems.session_expired(self.host))
        if self.credentials is None:
            if self.state == ERROR and self.problem is not None:  # e.g. no token mounted, a bad URL
                raise KFPConnectError.from_problem(self.problem)
            raise KFPConnectError.from_problem(problems.not_signed_in(self.host, self._front()))
        try:
            return self.credentials.headers()
        except KFPConnectError as err:
            self._fail(err.problem)
            raise

    @property
    def busy(self) -> bool:
        """Every admission slot is taken: a new KFP call would wait behind the others."""
        return self._admission.locked()

    @property
    def in_flight(self) -> int:
        """KFP calls sent and not yet answered (at most max_concurrent_requests)."""
        return self._in_flight

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event, connection)`` on ``login``, ``relogin``, ``expired``, ``logout``.
        Returns a function that removes it. Kernels use it to pick up fresh headers at once."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def status(self) -> dict[str, Any]:
        """Everything the panel shows; never a secret."""
        plan = self.plan.to_json() if self.plan else None
        return {
            "state": self.state,
            "auth": self.auth_kind,
            "host": self.host,
            "api_base": self.api_base,
            "ui_base": self.ui_base,
            "namespace": self.namespace,
            "namespace_source": self.namespace_source,
            "username": self.username,
            "connector": self.connector,
            "keep_signed_in": self.keep_signed_in,
            "multi_user": self.multi_user,
            "pipeline_store": self.healthz.get("pipeline_store") if self.healthz else None,
            "in_cluster": self.config.in_cluster,
            "login_required": self.state in (SIGNED_OUT, EXPIRED) and self.auth_kind not in ("none", "in-cluster"),
            "front": self._front(),
            "credential": self.credentials.describe() if self.credentials else None,
            "detection": plan,
            "access": self.access.to_json() if self.access else None,
            "problem": (problems.within_tls_policy(self.problem.to_json(), self.config.allow_insecure_tls)
                        if self.problem else None),
            "config_sources": dict(self.config.sources),
            "verify_ssl": self.config.verify_ssl,
            # the admin's policy: may a sign-in turn verification off? (the form hides the box if not)
            "allow_insecure_tls": self.config.allow_insecure_tls,
            "connected_at": self.connected_at,
            "generation": self.generation,
        }

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """First use: run detection once and connect when no login is needed."""
        if self._started:
            return
        async with self._start_lock:  # concurrent first requests wait for the one detection
            if self._started:
                return
            try:
                await self._auto_connect()
            except KFPConnectError as err:  # e.g. a configured host no request can be sent to
                self._fail(err.problem)
            finally:
                self._started = True

    async def _auto_connect(self) -> None:
        async with self._probe_client() as client:
            self.plan = await detection.detect(self.config, client)
        self._follow_plan()
        if self.plan.problem is not None:
            self._fail(self.plan.problem)
            return
        if self.plan.mode == "in-cluster":
            await self._adopt(self._token_file(), namespace="")
        elif self.plan.mode == "none":
            await self._adopt(Credentials(), namespace="")
        else:
            self.state = SIGNED_OUT

    async def login(self, **fields: Any) -> dict[str, Any]:
        """Sign in explicitly (the panel's form, ``%kfp login``); the request's values beat
        configuration. A failed sign-in while connected to the same KFP keeps the session
        that works (one mistyped password must not sign you out)."""
        working = {name: getattr(self, name) for name in _SESSION_FIELDS} if self.state == CONNECTED else None
        try:
            return await self._login(**fields)
        except KFPConnectError:
            if working is not None and working["config"].host == self.config.host:
                for name, value in working.items():
                    setattr(self, name, value)
            raise

    async def _login(self, *, auth: str = "auto", host: str | None = None, username: str | None = None,
                     password: str | None = None, connector: str | None = None, keep_signed_in: bool = False,
                     token: str | None = None, cookie: str | None = None, namespace: str | None = None,
                     verify_ssl: bool | None = None, ca_cert: str | None = None) -> dict[str, Any]:
        if namespace and not NAMESPACE_RE.match(namespace.strip()):
            raise KFPConnectError("bad_request", f"{namespace!r} is not a valid Kubernetes namespace name.",
                                  status=400)
        self._started = True
        previous = self.config
        self.config = self._base_config.with_request(host=normalise_host(host or "") or None,
                                                     verify_ssl=verify_ssl, ca_cert=ca_cert)
        if not self.config.host:
            self.config = previous if previous.host else self.config
        if not self.config.host:
            raise self._fail(problems.not_configured())
        try:
            _ssl_verify(self.config)  # a CA bundle that cannot be read is the caller's 400
        except KFPConnectError:
            self.config = previous
            raise
        auth = (auth or "auto").lower()
        if auth == "auto":
            auth = self._auth_from_fields(username, password, token, cookie)
        if auth == "auto":
            async with self._probe_client() as client:
                self.plan = await detection.detect(self.config, client)
            self._follow_plan()
            if self.plan.problem is not None:
                raise self._fail(self.plan.problem)
            if self.plan.mode in ("none", "in-cluster"):
                auth = self.plan.mode
            else:
                raise self._fail(problems.not_signed_in(self.host, self.plan.front), state=SIGNED_OUT)

        self._forget_credentials()
        self.username, self.keep_signed_in = "", False
        if auth in ("dex", "cookie"):
            await self._gateway_base(auth)
        if auth == "dex":
            if not username or not password:
                raise self._fail(Problem("bad_request", "Dex sign-in needs a username and a password.",
                                         status=400), state=SIGNED_OUT)
            self.connector = connector or self.config.dex_auth_type
            self.username = username.strip()
            secret = Secret(password)
            try:
                credentials = await self._dex_credentials(self.username, secret, self.connector)
            except KFPConnectError as err:
                raise self._fail(err.problem, state=SIGNED_OUT) from None
            self.keep_signed_in = bool(keep_signed_in)
            self._password = secret if self.keep_signed_in else None
        elif auth == "token":
            if not token:
                raise self._fail(Problem("bad_request", "Paste a bearer token.", status=400), state=SIGNED_OUT)
            credentials = BearerToken(token)
        elif auth == "cookie":
            if not cookie:
                raise self._fail(Problem("bad_request", "Paste a session cookie.", status=400), state=SIGNED_OUT)
            front = self._front()
            if not front:
                front = (await self.probe()).front
            credentials = SessionCookies.parse(cookie, DEFAULT_COOKIE.get(front, ""))
        elif auth == "in-cluster":
            credentials = self._token_file()
        elif auth == "none":
            credentials = Credentials()
        else:
            raise self._fail(Problem("bad_request", f"Unknown auth method {auth!r}.", status=400), state=SIGNED_OUT)
        await self._adopt(credentials, namespace=namespace or "", raise_errors=True)
        return self.status()

    def logout(self) -> None:
        """Forget credentials and the password; the next request needs a new login."""
        self._forget_credentials()
        self.username = ""
        self.keep_signed_in = False
        self.state = SIGNED_OUT
        self.problem = None
        self.access = None
        self.connected_at = None
        self._notify("logout")

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    # --- requests ----------------------------------------------------------------------------
    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A KFP API call (``path`` relative to ``/apis/v2beta1/``). Returns KFP's answer,
        errors included (``kfp_api`` turns those into Problems); raises KFPConnectError for
        what is not KFP's answer: login pages, 401s, Istio, the network, TLS.

        Every call says ``Accept: application/json``: oauth2-proxy's ``isAjax`` answers such a
        request 401 ``{}`` when the session is gone, instead of a sign-in page or a 302 into a
        new login (which its ``api_routes`` alone decide only where Kubeflow configured them)."""
        return await self._send(method, self.api_base + API_PREFIX + path.lstrip("/"),
                                headers=_json_headers(kwargs), **kwargs)

    async def dashboard_request(self, method: str, path: str, *, optional: bool = False,
                                **kwargs: Any) -> httpx.Response | None:
        """A call to the Kubeflow dashboard at the gateway origin, through the same session.

        ``optional``: for what only helps (namespace discovery at sign-in): the answer comes
        back as it is, whatever it is, and nothing about it (a page, a 401, Istio, the network)
        changes the connection's state; a failed request is None."""
        url = self.origin + "/" + path.lstrip("/")
        headers = _json_headers(kwargs)
        if not optional:
            return await self._send(method, url, headers=headers, **kwargs)
        try:
            response = await self._exchange(method, url, {**headers, **self.headers()}, kwargs)
        except problems.TRANSPORT_ERRORS as err:
            log.info("kfp-connect: the dashboard at %s did not answer (%s)", self.origin,
                     problems.transport_reason(err))
            return None
        return response

    async def _send(self, method: str, url: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        extra_headers = dict(kwargs.pop("headers", None) or {})
        generation = self.generation
        headers = {**extra_headers, **self._send_headers()}
        try:
            response = await self._exchange(method, url, headers, kwargs)
        except problems.TRANSPORT_ERRORS as err:
            self.problem = problems.transport_problem(self.host, err)
            raise KFPConnectError.from_problem(self.problem) from None
        verdict = detection.classify(response)
        credentials = self.credentials
        if response.status_code == 401 and isinstance(credentials, (TokenFile, BearerToken)):
            # KFP's TokenReview, or Istio's JWT check in front of it, refused the token
            source = "mounted ServiceAccount token" if isinstance(credentials, TokenFile) else "bearer token"
            raise self._fail(problems.token_rejected(self.host, source=source))
        # Redirects are never followed, so a page that answers 200 is no login page: it is some
        # other application (the gateway's root is the central dashboard), i.e. not_json below.
        if verdict in detection.LOGIN_VERDICTS \
                or (verdict == detection.KFP_UNAUTHENTICATED and credentials and credentials.expires):
            if credentials is not None and credentials.expires:
                if retry and self.keep_signed_in and self._password is not None:
                    await self._relogin(generation)
                    return await self._send(method, url, retry=False, headers=extra_headers, **kwargs)
                self._expire()
                raise KFPConnectError.from_problem(problems.session_expired(self.host))
            raise self._fail(problems.not_signed_in(self.host, detection.front_of(response)), state=SIGNED_OUT)
        if verdict == detection.KFP_UNAUTHENTICATED:
            raise self._fail(problems.not_signed_in(self.host, self._front()), state=SIGNED_OUT)
        if verdict == detection.ISTIO_DENIED:
            problem = self._istio_problem()
            self.problem = problem
            raise KFPConnectError.from_problem(problem)
        if verdict in (detection.HTML, detection.OTHER, detection.REDIRECT) and response.status_code < 500:
            raise KFPConnectError.from_problem(
                problems.not_json(url, response.status_code, response.headers.get("content-type", "")))
        if response.status_code < 400:
            self._answered(kwargs.get("params"))
        return response

    def _answered(self, params: Any) -> None:
        """KFP answered normally: what was wrong before is over. An error state ends (e.g. the
        token file is back after a rotation gap), an expired session that the gateway accepts
        again is live again, and a problem no longer true is cleared; a namespace's access
        problem only by a call in that namespace."""
        if self.state in (ERROR, EXPIRED) and self.credentials is not None:
            recovered = self.state == EXPIRED
            self.state = CONNECTED
            if recovered:
                log.info("kfp-connect: the session of %s at %s works again", self.user_key, self.host)
                self._notify("relogin")
        problem = self.problem
        if problem is not None and (problem.code != "rbac_denied" or (
                isinstance(params, dict) and params.get("namespace") == self.namespace)):
            self.problem = None

    def _send_headers(self) -> dict[str, str]:
        """Credentials for a KFP call. An expired session's cookies still go to their gateway:
        it alone decides whether the session ended, and the connection recovers if it has not."""
        if self.state == EXPIRED and self.credentials is not None:
            return self.credentials.headers()
        return self.headers()

    async def refresh_access(self) -> None:
        """After a namespace switch: the access problem is the new namespace's (or none)."""
        if self.problem is not None and self.problem.code != "rbac_denied":
            return
        if self.state != CONNECTED:
            return
        try:
            self.problem = await kfp_calls.access_problem(self, self.namespace)
        except KFPConnectError:
            pass  # recorded by the request itself (unreachable, expired, ...)

    # --- namespaces ----------------------------------------------------------------------------
    def set_namespace(self, namespace: str, *, remember: bool = True) -> None:
        namespace = (namespace or "").strip()
        if namespace and not NAMESPACE_RE.match(namespace):
            raise KFPConnectError("bad_request", f"{namespace!r} is not a valid Kubernetes namespace name.",
                                  status=400)
        self._namespace = namespace
        self.namespace_source = "user"
        if remember and self.memory is not None and self.host:
            self.memory.set(self.user_key, self.host, namespace)

    def pod_namespace(self) -> str:
        return read_pod_namespace(self.config.namespace_path) if self.config.in_cluster else ""

    def service_account(self) -> tuple[str, str]:
        if isinstance(self.credentials, TokenFile):
            return self.credentials.service_account()
        return self.pod_namespace(), problems.DEFAULT_SERVICE_ACCOUNT

    def rbac_problem(self, namespace: str, message: str) -> Problem:
        """KFP's own 403: what RoleBinding would grant it, for who we are."""
        if isinstance(self.credentials, (TokenFile, BearerToken)):
            sa_ns, sa = self.service_account()
            return problems.rbac_denied(namespace, message, service_account=sa, sa_namespace=sa_ns)
        return problems.rbac_denied(namespace, message, user=self.username or "<your email>")

    def _istio_problem(self) -> Problem:
        if isinstance(self.credentials, (TokenFile, BearerToken)) or self.config.in_cluster:
            sa_ns, sa = self.service_account()
            return problems.istio_denied(sa_namespace=sa_ns, service_account=sa)
        return problems.istio_denied(user=self.username or "<your email>")

    async def _resolve_namespace(self, explicit: str) -> None:
        """Explicit > remembered choice > c.KFPConnect.namespace > pod namespace > dashboard."""
        remembered = self.memory.get(self.user_key, self.host) if self.memory else ""
        candidates = [
            (explicit, "request"),
            (remembered, "remembered"),
            (self.config.namespace, self.config.sources.get("namespace", "config")),
            (self.pod_namespace(), "pod"),
        ]
        for value, source in candidates:
            if value:
                self._namespace, self.namespace_source = value, source
                if source == "request" and self.memory is not None:
                    self.memory.set(self.user_key, self.host, value)
                return
        if self.multi_user and isinstance(self.credentials, SessionCookies):
            # Optional: a gateway without the dashboard, or a failing one, never fails a sign-in.
            env = await kfp_calls.env_info(self, optional=True)
            listed = [ns for ns in (env or {}).get("namespaces") or [] if isinstance(ns, dict) and ns.get("namespace")]
            if listed:
                best = min(listed, key=lambda ns: ROLE_PREFERENCE.get(str(ns.get("role")), len(ROLE_PREFERENCE)))
                self._namespace, self.namespace_source = str(best["namespace"]), "dashboard"
                return
        self._namespace, self.namespace_source = "", ""

    # --- internals -----------------------------------------------------------------------------
    def _follow_plan(self) -> None:
        """Use the host detection settled on (a bare gateway origin becomes ``.../pipeline``),
        keeping where the setting came from."""
        if self.plan is not None and self.plan.host and self.plan.host != self.config.host:
            self.config = replace(self.config, host=self.plan.host)

    async def _gateway_base(self, auth: str) -> None:
        """Before a gateway sign-in that no detection preceded: a bare origin behind a Kubeflow
        login front is corrected to KFP's ``/pipeline`` (see :mod:`.detect`)."""
        if not detection.gateway_kfp_host(self.host):
            return
        result = await self.probe()
        if result.host:
            self.plan = detection.AuthPlan(mode=auth, host=result.host, front=result.front,
                                           steps=[f"Authentication requested as '{auth}'.", result.note + "."])
            self._follow_plan()

    async def probe(self) -> detection.ProbeResult:
        """What answers at the host (KFP, a login front, nothing): :func:`.detect.probe`."""
        async with self._probe_client() as client:
            return await detection.probe(client, self.host)

    def _probe_client(self) -> httpx.AsyncClient:
        """A client for one detection or probe (``async with``), closed after it. Why not one
        kept per connection: httpcore closes an idle connection only when its pool is next
        used, so a kept client held a socket to the gateway for the server's whole life."""
        return httpx.AsyncClient(verify=_ssl_verify(self.config), timeout=_timeout(self.config),
                                 follow_redirects=False)

    def _fast_transport(self) -> KFPTransport:
        """The connection's pooled transport for KFP calls (:meth:`_exchange`), rebuilt when
        TLS or timeouts change. Its pool closes idle connections by itself (aiohttp sweeps
        them every keep-alive period)."""
        key = (self.config.verify_ssl, self.config.ca_cert, self.config.request_timeout)
        if self._transport is None or self._transport_key != key:
            stale = self._transport
            self._transport = KFPTransport(verify=_ssl_verify(self.config))
            self._timeouts = {"timeout": _timeout(self.config).as_dict()}
            self._transport_key = key
            if stale is not None:
                asyncio.ensure_future(stale.aclose())
        return self._transport

    async def _exchange(self, method: str, url: str, headers: dict[str, str],
                        kwargs: dict[str, Any]) -> httpx.Response:
        """One request straight through the fast transport (see :mod:`.transport`): no
        redirects are followed and credentials travel as explicit headers, so httpx's
        client layer would add only CPU."""
        transport = self._fast_transport()
        if "files" in kwargs:
            # An upload's connection is not reused: a front that refuses the package before
            # reading it would take the unread rest as the next request on the connection
            # (which then failed, "Can not write request body"). One handshake per upload.
            headers = {**headers, "Connection": "close"}
        request = httpx.Request(method, url, headers=headers, extensions=self._timeouts, **kwargs)
        if not isinstance(request.stream, httpx.ByteStream):
            request.read()  # a multipart upload: send it with its length, not chunked
        async with self._admitted():
            response = await transport.handle_async_request(request)
            try:
                content = await _read_capped(response, MAX_ANSWER_BYTES)
            finally:
                await response.aclose()
        await pacing.my_turn()  # what follows (decoding, answering) waits for its own loop turn
        if content is None:
            raise KFPConnectError.from_problem(problems.answer_too_large(url, MAX_ANSWER_BYTES))
        # The body as read (decoded): the answer the rest of the package sees.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request,
                              extensions=response.extensions)

    @contextlib.asynccontextmanager
    async def _admitted(self) -> AsyncIterator[None]:
        """Hold one of the connection's admission slots for a KFP exchange. Why: 500 calls at
        once (a script, a burst of panel refreshes) would otherwise all be in flight, their
        answers arriving together, each loop turn of the Jupyter server then spends hundreds
        of milliseconds on them (every other request, /api/status too, waits that long per
        step), and calls beyond the pool's size waited for a connection inside aiohttp's
        connect timeout (a false ``unreachable``). Waiting here is not the request's timeout;
        it is bounded by ``request_timeout`` on its own (``kfp_busy``)."""
        limit = self.config.max_concurrent_requests
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._admission.acquire(), self.config.request_timeout)
        except asyncio.TimeoutError:
            raise KFPConnectError.from_problem(
                problems.kfp_busy(self.host, limit, time.monotonic() - started)) from None
        self._in_flight += 1
        try:
            await pacing.my_turn()  # the requests a burst admits are sent one per loop turn, too
            yield
        finally:
            self._in_flight -= 1
            self._admission.release()

    def _front(self) -> str:
        return self.plan.front if self.plan else ""

    def _token_file(self) -> TokenFile:
        namespace = self.config.namespace or self.pod_namespace()
        return TokenFile(self.config.token_path, namespace)

    def _auth_from_fields(self, username: str | None, password: str | None, token: str | None,
                          cookie: str | None) -> str:
        if username or password:
            return "dex"
        if token:
            return "token"
        if cookie:
            return "cookie"
        return self.config.auth if self.config.auth != "auto" else "auto"

    async def _dex_credentials(self, username: str, password: Secret, connector: str) -> SessionCookies:
        """Walk the Dex flow in a fresh client (its own cookie jar) and keep the cookies that
        belong to the gateway (domain and path), not those of every host on the way.
        Raises without touching the state: a sign-in and a renewal record failures differently."""
        from .dex import dex_login, gateway_cookies

        async with httpx.AsyncClient(verify=_ssl_verify(self.config), timeout=_timeout(self.config),
                                     follow_redirects=False) as client:
            try:
                await dex_login(client, self.host, username, password.reveal(), connector)
            except problems.TRANSPORT_ERRORS as err:
                raise KFPConnectError.from_problem(problems.transport_problem(self.host, err)) from None
            pairs = gateway_cookies(client.cookies.jar, self.api_base + API_PREFIX)
        if not pairs:
            raise KFPConnectError("login_flow_unexpected", "The Kubeflow login finished without setting a "
                                  "session cookie.", fix="Check the URL points at the Kubeflow gateway.",
                                  status=502)
        return SessionCookies(pairs, kind="dex")

    async def _adopt(self, credentials: Credentials, *, namespace: str, raise_errors: bool = False) -> None:
        """Make ``credentials`` current after proving them on healthz (and a namespaced call)."""
        self.credentials = credentials
        self.state = CONNECTED  # provisional: lets the verifying requests through
        try:
            self.healthz = await kfp_calls.healthz(self)
            await self._resolve_namespace(namespace)
            self.access = await self._access_review()
            self.problem = await kfp_calls.access_problem(self, self.namespace)
        except KFPConnectError as err:
            if credentials.kind != "in-cluster":  # a token file may come back; other credentials are spent
                self.credentials = None
                self._password = None
            again = err.code in LOGIN_AGAIN and credentials.kind != "in-cluster"
            self._fail(err.problem, state=SIGNED_OUT if again else ERROR)
            if raise_errors:
                raise
            return
        self.state = CONNECTED
        self.connected_at = time.time()
        self.generation += 1
        log.info("kfp-connect: %s connected to %s (%s, namespace %s)", self.user_key, self.host,
                 credentials.kind, self.namespace or "-")
        self._notify("login")

    async def _access_review(self) -> AccessReport | None:
        """In a cluster, ask Kubernetes in advance what this pod may do with pipelines."""
        if not self.config.in_cluster:
            return None
        from .k8s import access_review

        return await access_review(self.namespace)

    async def _relogin(self, generation: int) -> None:
        """Renew an expired Dex session once with the password held in memory."""
        async with self._relogin_lock:
            if self.generation != generation and self.state == CONNECTED:
                return  # another request already renewed it
            log.info("kfp-connect: session of %s at %s expired; signing in again", self.user_key, self.host)
            password = self._password
            if password is None:
                self._expire()
                raise KFPConnectError.from_problem(problems.session_expired(self.host))
            try:
                credentials = await self._dex_credentials(self.username, password, self.connector)
            except KFPConnectError as err:
                if self._password is not password:  # signed out, or in anew, while Dex answered
                    return self._superseded()
                if err.code in ("unreachable", "tls_error"):  # keep the password: the next request tries again
                    self._expire()
                    self.problem = err.problem
                    raise
                # the password no longer works: forget it and ask the person
                self.credentials, self._password, self.keep_signed_in = None, None, False
                self._expire()
                raise KFPConnectError.from_problem(problems.session_expired(self.host)) from None
            if self._password is not password:
                return self._superseded()
            self.credentials = credentials
            self.state = CONNECTED
            self.problem = None
            self.connected_at = time.time()
            self.generation += 1
            self._notify("relogin")

    def _superseded(self) -> None:
        """A renewal finished after a sign-out (raise) or a new sign-in (use that one)."""
        if self.state != CONNECTED:
            raise KFPConnectError.from_problem(problems.not_signed_in(self.host, self._front()))

    def _expire(self) -> None:
        self.problem = problems.session_expired(self.host)
        if self.state == EXPIRED:
            return
        log.info("kfp-connect: session of %s at %s expired", self.user_key, self.host)
        self.state = EXPIRED
        self._notify("expired")

    def _fail(self, problem: Problem, state: str = ERROR) -> KFPConnectError:
        """Record ``problem`` (and the state) and return the error to raise."""
        self.problem = problem
        self.state = state
        log.info("kfp-connect: %s: %s", problem.code, problem.message)
        return KFPConnectError.from_problem(problem)

    def _forget_credentials(self) -> None:
        self.credentials = None
        self._password = None

    def _notify(self, event: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, self)
            except Exception:  # a listener's bug must not break the connection
                log.exception("kfp-connect: connection listener failed on %s", event)


#: What a sign-in replaces, kept to put back when a new sign-in fails.
_SESSION_FIELDS = ("config", "credentials", "_password", "username", "keep_signed_in", "connector",
                   "state", "problem", "healthz", "access", "_namespace", "namespace_source",
                   "connected_at", "plan")


class Connections:
    """One :class:`Connection` per Jupyter user, built from the current configuration."""

    def __init__(self, config_factory: Callable[[], ConnectionConfig], memory: NamespaceMemory | None = None) -> None:
        self._config_factory = config_factory
        self._memory = memory
        self._by_user: dict[str, Connection] = {}

    def get(self, user_key: str) -> Connection:
        connection = self._by_user.get(user_key)
        if connection is None:
            connection = Connection(user_key, self._config_factory(), self._memory)
            self._by_user[user_key] = connection
        return connection

    def __iter__(self):
        return iter(list(self._by_user.values()))

    async def close(self) -> None:
        for connection in list(self._by_user.values()):
            await connection.close()
