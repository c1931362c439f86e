"""Test controls: make the sandbox slow, failing, expired or watched, on demand.

Python callers use ``sandbox.controls`` directly; out-of-process callers (kernels, browser
tests, the demo) use the same operations as JSON endpoints under ``/_sandbox/``:

=======================  ===========================================================  =====================
endpoint                 body (JSON)                                                  answer
=======================  ===========================================================  =====================
GET  /_sandbox/info      -                                                            mode, URLs, demo users
POST /_sandbox/seed      ``{namespace, count, versions?, prefix?}``                   ``{ids}``
POST /_sandbox/latency   ``{seconds}``                                                ``{seconds}``
POST /_sandbox/fail_next ``{n, kind: "500"|"503"|"drop"|"401"|"html"|"deep*", path?}``  ``{n, kind, path}``
POST /_sandbox/expire_sessions  -                                                     ``{expired}``
GET  /_sandbox/log       -                                                            ``{requests: [...]}``
DELETE /_sandbox/log     -                                                            ``{}``
POST /_sandbox/tokens    ``{action: issue|write|rotate|delete, path?, namespace?, sa?, audience?}``
POST /_sandbox/rbac      ``{action: grant|revoke, user, namespace, role?}``
POST /_sandbox/seed_runs ``{experiment_id, count, version_id, spacing?}``              ``{ids}``
POST /_sandbox/run_outcome ``{run, state: SUCCEEDED|FAILED, task?, retry?}``          ``{changed}``
POST /_sandbox/run_timing ``{starts_after?, finishes_after?, terminate_settles_after?}`` the three values
POST /_sandbox/reset     -                                                            ``{}``
=======================  ===========================================================  =====================

Every HTTP control needs the sandbox's per-start token in ``X-Sandbox-Token`` (``sb.control_token``;
the CLI prints it) and a ``Host`` header naming the sandbox itself (a page on another site that
rebinds its DNS name to 127.0.0.1 sends its own name). Token files are written, rotated and
deleted only inside the sandbox's state folder (``sb.state_dir``); a relative path is taken
inside it. POST bodies must be ``application/json``: a browser page cannot send that
cross-origin without a preflight this server never answers.
The request log keeps method, path (no query string), status and identity: never a cookie,
token or password.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import tornado.web

from .tokens import DEFAULT_SA, PIPELINES_AUDIENCE, TokenFiles

TOKEN_HEADER = "X-Sandbox-Token"
#: "deep", "deep_401", "deep_500", "deep_text": a body of 100,000 nested arrays (200 KB) as
#: ``application/json`` with status 200, 401 or 500, or as a 200 ``text/plain``: what a broken
#: proxy could send; Python's JSON decoder cannot follow it (RecursionError).
DEEP_KINDS = {"deep": (200, "application/json"), "deep_401": (401, "application/json"),
              "deep_500": (500, "application/json"), "deep_text": (200, "text/plain; charset=utf-8")}
#: "401": what oauth2-proxy answers an API route whose session it cannot load (401 ``{}``, as the
#: dex front's challenge), once: a session store that blinked, not a session that ended.
#: "html": a 200 HTML page, as a proxy or portal in front of the gateway may send for a moment.
FAIL_KINDS = ("500", "503", "drop", "401", "html", *DEEP_KINDS)
HTML_PAGE = "<!doctype html><html><head><title>One moment</title></head><body>Please wait.</body></html>"
DEEP_BODY = "[" * 100_000 + "]" * 100_000
ENVOY_503 = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
CONTROL_PREFIX = "/_sandbox/"


class Controls:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._latency = 0.0
        self._failures: list[str] = []
        self._failure_path = ""
        self._log: list[dict[str, Any]] = []

    # --- Python API ----------------------------------------------------------------------
    @property
    def tokens(self) -> TokenFiles:
        """``write_token(path, namespace, sa="default-editor")``, ``rotate(path)``,
        ``delete(path)``, ``issue(namespace)`` against this sandbox's TokenReview."""
        return TokenFiles(self.sandbox.front.tokens)

    def seed(self, namespace: str, count: int, versions: int = 1, prefix: str = "pipeline") -> list[str]:
        """``count`` pipelines with ``versions`` versions each in ``namespace`` ("" = shared)."""
        return self.sandbox.store.seed(namespace, count, versions=versions, prefix=prefix)

    def latency(self, seconds: float) -> None:
        """Delay every later request (not the controls) by ``seconds``."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            self._latency = float(seconds)

    def fail_next(self, n: int = 1, kind: str = "500", path: str = "") -> None:
        """The next ``n`` requests fail: KFP's 500, the gateway's 503, a dropped connection,
        oauth2-proxy's 401 for a session it could not load, a 200 HTML page, or a body nested
        too deeply to decode (:data:`DEEP_KINDS`).
        With ``path``, only requests whose path starts with it count (``"/dex/"``: Dex is down
        while the gateway and KFP still answer)."""
        kind = str(kind)
        if kind not in FAIL_KINDS:
            raise ValueError(f"kind must be one of {FAIL_KINDS}, not {kind!r}")
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._failures = [kind] * int(n)
            self._failure_path = str(path)

    def seed_runs(self, experiment_id: str, count: int, version_id: str, spacing: float = 5.0) -> list[str]:
        """``count`` finished runs of a version in an experiment, ``spacing`` seconds apart."""
        return self.sandbox.store.seed_runs(experiment_id, count, version_id, spacing)

    def run_outcome(self, run: str, state: str, task: str | None = None,
                    retry: dict[str, Any] | None = None) -> list[str]:
        """How a run ends: ``"FAILED"`` (at ``task``, default its last) or ``"SUCCEEDED"``.
        ``run`` is a run id or a display name (runs created later with that name too);
        ``retry`` (``{"state", "task"}``) is how a retry of it ends (default: succeeds)."""
        return self.sandbox.store.set_run_outcome(run, state, task, retry)

    def run_timing(self, starts_after: float | None = None, finishes_after: float | None = None,
                   terminate_settles_after: float | None = None) -> dict[str, float]:
        """Seconds from creation to RUNNING and to the end, for runs created from now on;
        and how long a terminated run stays CANCELING."""
        store = self.sandbox.store
        for name, value in (("run_starts_after", starts_after), ("run_finishes_after", finishes_after),
                            ("terminate_settles_after", terminate_settles_after)):
            if value is not None:
                if float(value) < 0:
                    raise ValueError(f"{name} must be >= 0")
                setattr(store, name, float(value))
        return {"starts_after": store.run_starts_after, "finishes_after": store.run_finishes_after,
                "terminate_settles_after": store.terminate_settles_after}

    def expire_sessions(self) -> int:
        """Every session cookie stops working (as a day later); returns how many ended."""
        return self.sandbox.front.sessions.expire_all()

    def request_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self) -> None:
        """Back to a fresh sandbox: no latency, failures, log, sessions, tokens, extra RBAC,
        or pipelines."""
        with self._lock:
            self._latency = 0.0
            self._failures.clear()
            self._failure_path = ""
            self._log.clear()
        self.sandbox.front.reset()
        self.sandbox.rbac.reset()
        store = self.sandbox.store
        for name in ("run_starts_after", "run_finishes_after", "terminate_settles_after"):
            store.__dict__.pop(name, None)  # back to the class defaults
        store.clear()

    def info(self) -> dict[str, Any]:
        from .dex_pages import DEMO_USERS

        sb = self.sandbox
        front = sb.front.describe()
        users = [
            {"login": u.email if u.connector == "local" else u.username, "password": u.password,
             "email": u.email, "connector": u.connector,
             "namespaces": [b.namespace for b in sb.rbac.bindings_for(u.email)]}
            for u in DEMO_USERS if u.connector in front.get("connectors", ())
        ]
        return {"mode": sb.mode, "url": sb.url, "kfp_host": sb.kfp_host,
                "multi_user": sb.multi_user, "front": front, "users": users}

    # --- the hook every request passes -----------------------------------------------------
    async def before_request(self, handler: Any) -> None:
        """Runs first for every request: log it, add latency, fail it if asked. May finish it."""
        request = handler.request
        if request.path.startswith(CONTROL_PREFIX):
            return
        entry: dict[str, Any] = {"method": request.method, "path": request.path, "status": None,
                                 "identity": None, "time": time.time()}
        with self._lock:
            self._log.append(entry)
            delay = self._latency
            hit = self._failures and request.path.startswith(self._failure_path)
            failure = self._failures.pop(0) if hit else None
        self._record_on_finish(handler, entry)
        if delay:
            await asyncio.sleep(delay)
        if failure == "500":
            handler.set_status(500)
            handler.set_header("Content-Type", "application/json")
            handler.finish(json.dumps({"code": 13, "message": "sandbox: injected internal error",
                                       "details": []}))
        elif failure == "503":
            handler.set_status(503)
            handler.set_header("Content-Type", "text/plain")
            handler.finish(ENVOY_503)
        elif failure == "401":
            handler.set_status(401)
            handler.set_header("Content-Type", "application/json")
            handler.finish("{}")
        elif failure == "html":
            handler.set_status(200)
            handler.set_header("Content-Type", "text/html; charset=utf-8")
            handler.finish(HTML_PAGE)
        elif failure in DEEP_KINDS:
            status, content_type = DEEP_KINDS[failure]
            handler.set_status(status)
            handler.set_header("Content-Type", content_type)
            handler.finish(DEEP_BODY)
        elif failure == "drop":
            entry["status"] = "dropped"
            handler.request.connection.stream.close()
            handler._finished = True  # nothing more may be written: the peer is gone

    def _record_on_finish(self, handler: Any, entry: dict[str, Any]) -> None:
        """Fill in status and identity as the response is finished: before its bytes leave,
        so a client that has its answer always finds it in the log."""
        original = handler.finish

        def finish(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if entry["status"] is None:
                    entry["status"] = handler.get_status()
                entry["identity"] = getattr(handler, "identity", None)
            return original(*args, **kwargs)

        handler.finish = finish

    # --- HTTP ------------------------------------------------------------------------------
    def routes(self) -> list[tuple]:
        """HTTP versions of the controls under /_sandbox/ for out-of-process callers."""
        kwargs = {"controls": self}
        return [(f"{CONTROL_PREFIX}{name}", handler, kwargs) for name, handler in _HANDLERS.items()]


class _ControlHandler(tornado.web.RequestHandler):
    def initialize(self, controls: Controls) -> None:
        self.controls = controls

    def prepare(self) -> None:
        sandbox = self.controls.sandbox
        if self.request.host.lower() not in _own_hosts(sandbox):
            raise tornado.web.HTTPError(403, "the controls answer only to requests addressed to the sandbox itself")
        given = self.request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), sandbox.control_token.encode()):
            raise tornado.web.HTTPError(403, f"the controls need the sandbox's token in {TOKEN_HEADER}")

    def state_path(self, path: str) -> Path:
        """``path`` inside the sandbox's state folder (relative paths are taken there)."""
        root = self.controls.sandbox.state_dir
        target = Path(os.path.realpath(root / path))
        if target != root and root not in target.parents:
            raise tornado.web.HTTPError(403, f"files are written only inside the sandbox's state folder {root}")
        return target

    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise tornado.web.HTTPError(415, "control requests must be application/json")
        try:
            body = json.loads(self.request.body)
        except ValueError as exc:
            raise tornado.web.HTTPError(400, f"invalid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "the body must be a JSON object")
        return body

    def reply(self, payload: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or self._reason
        elif isinstance(exc, (ValueError, KeyError, TypeError, OSError)):
            self.set_status(400)
            message = str(exc)
        else:
            message = self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, (ValueError, KeyError, TypeError, OSError)):
            return
        super().log_exception(typ, value, tb)


class InfoControl(_ControlHandler):
    def get(self) -> None:
        self.reply(self.controls.info())


class SeedControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        ids = self.controls.seed(b.get("namespace", ""), int(b["count"]), int(b.get("versions", 1)),
                                 b.get("prefix", "pipeline"))
        self.reply({"ids": ids})


class LatencyControl(_ControlHandler):
    def post(self) -> None:
        seconds = float(self.body().get("seconds", 0))
        self.controls.latency(seconds)
        self.reply({"seconds": seconds})


class FailNextControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        n, kind, path = int(b.get("n", 1)), str(b.get("kind", "500")), str(b.get("path", ""))
        self.controls.fail_next(n, kind, path)
        self.reply({"n": n, "kind": kind, "path": path})


class ExpireSessionsControl(_ControlHandler):
    def post(self) -> None:
        self.body()
        self.reply({"expired": self.controls.expire_sessions()})


class LogControl(_ControlHandler):
    def get(self) -> None:
        self.reply({"requests": self.controls.request_log()})

    def delete(self) -> None:
        self.controls.clear_log()
        self.reply({})


class TokensControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        tokens = self.controls.tokens
        action = b.get("action")
        sa, audience = b.get("sa", DEFAULT_SA), b.get("audience", PIPELINES_AUDIENCE)
        if action == "issue":
            return self.reply({"token": tokens.issue(b["namespace"], sa, audience)})
        path = self.state_path(str(b["path"]))
        if action == "write":
            tokens.write_token(path, b["namespace"], sa, audience)
        elif action == "rotate":
            tokens.rotate(path)
        elif action == "delete":
            tokens.delete(path)
        else:
            raise ValueError("action must be issue, write, rotate or delete")
        self.reply({"path": str(path)})


class RbacControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        rbac = self.controls.sandbox.rbac
        if b.get("action") == "grant":
            rbac.grant(b["user"], b["namespace"], b.get("role", "edit"))
        elif b.get("action") == "revoke":
            rbac.revoke(b["user"], b["namespace"])
        else:
            raise ValueError("action must be grant or revoke")
        self.reply({})


class SeedRunsControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        self.reply({"ids": self.controls.seed_runs(str(b["experiment_id"]), int(b["count"]),
                                                   str(b["version_id"]), float(b.get("spacing", 5.0)))})


class RunOutcomeControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        self.reply({"changed": self.controls.run_outcome(str(b["run"]), str(b["state"]), b.get("task"),
                                                         b.get("retry"))})


class RunTimingControl(_ControlHandler):
    def post(self) -> None:
        b = self.body()
        self.reply(self.controls.run_timing(b.get("starts_after"), b.get("finishes_after"),
                                            b.get("terminate_settles_after")))


class ResetControl(_ControlHandler):
    def post(self) -> None:
        self.body()
        self.controls.reset()
        self.reply({})


def _own_hosts(sandbox: Any) -> set[str]:
    """The ``Host`` values a request to this sandbox carries (loopback by its names too)."""
    port = sandbox.port
    names = {sandbox.host.lower()}
    if sandbox.host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", ""):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return {f"{name}:{port}" for name in names}


_HANDLERS: dict[str, type[_ControlHandler]] = {
    "info": InfoControl,
    "seed": SeedControl,
    "latency": LatencyControl,
    "fail_next": FailNextControl,
    "expire_sessions": ExpireSessionsControl,
    "log": LogControl,
    "tokens": TokensControl,
    "rbac": RbacControl,
    "seed_runs": SeedRunsControl,
    "run_outcome": RunOutcomeControl,
    "run_timing": RunTimingControl,
    "reset": ResetControl,
}
