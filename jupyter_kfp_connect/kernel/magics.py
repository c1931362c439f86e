"""``%kfp``: the panel's actions from a notebook cell, through the same server endpoints.

Every command calls the server extension (``kernel/api/...``), so sign-in, namespaces,
listing and uploads follow exactly the rules (and give exactly the diagnoses) the panel
does, running a pipeline included (its parameters are checked by ``POST runs`` against the
pipeline's spec, the Create-run form's rule). ``%kfp --help`` lists commands.
"""

from __future__ import annotations

import argparse
import os
import shlex
import tempfile
from typing import Any, Sequence

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from ..errors import KFPConnectError
from ..i18n import trans
from . import manifest_commands

#: What ``%kfp`` with no command does.
DEFAULT_COMMAND = "status"
#: ``--wait`` polls the run every POLL_START seconds at first, backing off to POLL_MAX.
POLL_START = 1.0
POLL_MAX = 5.0
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"})



def duplicate_hint(err: KFPConnectError, source: str, shared: bool) -> KFPConnectError:
    """A name already taken: say how to add the file as a new version of that pipeline."""
    problem = err.problem
    if problem.code != "duplicate_name":
        return err
    name = str(problem.details.get("name") or "") or "NAME"
    quoted = f'"{name}"' if any(c.isspace() for c in name) else name
    command = f"%kfp upload {source} --version-of {quoted}" + (" --shared" if shared else "")
    return KFPConnectError(problem.code, problem.message,
                           fix=trans.__("Upload it as a new version of that pipeline: {command}, "
                                        "or choose another name with --name.", command=command),
                           yaml=problem.yaml, status=problem.status, details=problem.details)

class _Done(Exception):
    """argparse finished (``--help``): nothing more to do."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports to IPython instead of exiting the kernel."""

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            print(message, end="")
        raise _Done()

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage()}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%kfp", description=trans.__(
        "Kubeflow Pipelines from this kernel, signed in like the panel. kfp_client is a ready "
        "kfp.Client."))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("status", help=trans.__("the connection: host, auth, namespace, state"))

    login = commands.add_parser("login", help=trans.__("sign in (the password is read without echo)"))
    login.add_argument("--auth", choices=["dex", "token", "cookie", "in-cluster", "none"],
                       help=trans.__("how to sign in (default: dex with --username, else detected)"))
    login.add_argument("--host", help=trans.__("KFP endpoint, e.g. https://kubeflow.example.com/pipeline"))
    login.add_argument("--username", "-u", help=trans.__("Dex username (e.g. user@example.com)"))
    login.add_argument("--connector", choices=["local", "ldap"], help=trans.__("Dex connector"))
    login.add_argument("--keep-signed-in", action="store_true",
                       help=trans.__("let the server sign in again when the session expires"))
    login.add_argument("--namespace", help=trans.__("profile namespace to use"))
    login.add_argument("--password-env", metavar="VAR",
                       help=trans.__("read the password (or token, cookie) from this environment "
                                     "variable instead of prompting (for papermill)"))

    commands.add_parser("logout", help=trans.__("forget the session (for the panel too)"))

    namespace = commands.add_parser("namespace", help=trans.__("show the namespaces, or choose one"))
    namespace.add_argument("name", nargs="?", help=trans.__("the namespace to use from now on"))

    pipelines = commands.add_parser("pipelines", help=trans.__("list pipelines (private by default)"))
    pipelines.add_argument("--shared", action="store_true", help=trans.__("shared pipelines instead"))
    pipelines.add_argument("--page-size", type=int, default=20, help=trans.__("how many (at most 200)"))
    pipelines.add_argument("search", nargs="?", default="", help=trans.__("part of the name"))

    upload = commands.add_parser("upload", help=trans.__("upload a package file or a pipeline function"))
    upload.add_argument("source", help=trans.__("a compiled package (.yaml, .json, .zip, .tar.gz) or "
                                      "the name of a @dsl.pipeline function in this kernel"))
    upload.add_argument("--name", default="", help=trans.__("pipeline (or version) name"))
    upload.add_argument("--display-name", default="", help=trans.__("human-readable name (KFP 2.14+)"))
    upload.add_argument("--description", default="", help=trans.__("description"))
    upload.add_argument("--version-of", metavar="PIPELINE", default="",
                        help=trans.__("upload as a new version of this pipeline (name or id)"))
    upload.add_argument("--shared", action="store_true", help=trans.__("upload as a shared pipeline"))

    run = commands.add_parser("run", help=trans.__("start a run of a pipeline (name, id, file or function)"))
    run.add_argument("pipeline", help=trans.__("a pipeline name or id, a package file, or a @dsl.pipeline function"))
    run.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                     help=trans.__("a pipeline parameter (repeatable; values are JSON where they parse); "
                                   "checked against the pipeline's parameters before the run starts"))
    run.add_argument("--experiment", default="Default", help=trans.__("experiment name (default: Default)"))
    run.add_argument("--run-name", default="", help=trans.__("name of the run"))
    run.add_argument("--version", default="", help=trans.__("version name or id (default: the newest)"))
    run.add_argument("--shared", action="store_true", help=trans.__("look the name up in shared pipelines"))
    run.add_argument("--wait", action="store_true",
                     help=trans.__("show the run's state and its tasks live until it ends"))
    run.add_argument("--timeout", type=float, default=None, metavar="S",
                     help=trans.__("with --wait: stop waiting after S seconds (the run goes on)"))

    runs = commands.add_parser("runs", help=trans.__("list recent runs in the namespace"))
    runs.add_argument("--state", type=str.upper, default="",
                      help=trans.__("only runs in this state (PENDING, RUNNING, SUCCEEDED, FAILED, ...)"))
    runs.add_argument("--pipeline", default="", help=trans.__("only runs of this pipeline (name or id)"))
    runs.add_argument("--page-size", type=int, default=20, help=trans.__("how many (at most 200)"))

    commands.add_parser("open", help=trans.__("link to the KFP UI"))
    manifest_commands.add_parsers(commands)
    return parser


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``["n=3", "name=x"]`` -> ``{"n": 3, "name": "x"}`` (JSON values where they parse)."""
    import json

    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(trans.__("--param wants KEY=VALUE, not {pair}", pair=repr(pair)))
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value
    return params


@magics_class
class KFPMagics(Magics):
    """The ``%kfp`` line magic."""

    @line_magic
    def kfp(self, line: str) -> None:
        """Kubeflow Pipelines from this kernel. ``%kfp --help`` for the commands."""
        try:
            args = build_parser().parse_args(shlex.split(line) or [DEFAULT_COMMAND])
        except _Done:
            return
        except ValueError as err:  # unbalanced quotes
            raise UsageError(f"%kfp: {err}") from None
        getattr(self, f"_cmd_{(args.command or DEFAULT_COMMAND).replace('-', '_')}")(args)

    # --- helpers ---------------------------------------------------------------------------
    @property
    def link(self) -> Any:
        from .session import shared_link

        return shared_link()

    def _refresh(self) -> None:
        """After a sign-in or a namespace change made here: no stale headers or client."""
        from .client import LazyKFPClient
        from .session import CLIENT_NAME

        self.link.forget()
        client = self.shell.user_ns.get(CLIENT_NAME)
        if isinstance(client, LazyKFPClient):
            client.reconnect()

    def _user_object(self, name: str) -> Any:
        return self.shell.user_ns.get(name) if name.isidentifier() else None

    # --- commands --------------------------------------------------------------------------
    def _cmd_status(self, args: argparse.Namespace) -> None:
        from .display import show

        show(*status_views(self.link.api("GET", "status")))

    def _cmd_login(self, args: argparse.Namespace) -> None:
        from .display import show

        auth = args.auth or ("dex" if args.username else "")
        if not auth:
            # Behind a Kubeflow gateway the server has detected a Dex login; else let it detect.
            status = self.link.api("GET", "status")
            auth = "dex" if status.get("auth") == "dex" or status.get("front") else "auto"
        body: dict[str, Any] = {"auth": auth}
        for field in ("host", "connector", "namespace"):
            if getattr(args, field):
                body[field] = getattr(args, field)
        if auth == "dex":
            body["username"] = args.username or _ask(trans.__("Username: "))
            body["password"] = _secret(trans.__("Password: "), args.password_env)
            body["keep_signed_in"] = bool(args.keep_signed_in)
        elif auth == "token":
            body["token"] = _secret(trans.__("Bearer token: "), args.password_env)
        elif auth == "cookie":
            body["cookie"] = _secret(trans.__("Session cookie: "), args.password_env)
        try:
            status = self.link.api("POST", "login", json=body)
        finally:
            body.pop("password", None), body.pop("token", None), body.pop("cookie", None)
            self._refresh()
        show(*status_views(status))

    def _cmd_logout(self, args: argparse.Namespace) -> None:
        from .display import show

        status = self.link.api("POST", "logout")
        self._refresh()
        show(*status_views(status))

    def _cmd_namespace(self, args: argparse.Namespace) -> None:
        from .display import Table, show

        if args.name:
            answer = self.link.api("PUT", "namespace", json={"namespace": args.name})
            self._refresh()
            print(trans.__("Namespace: {namespace}", namespace=answer.get("namespace") or trans.__("(none)")))
            return
        answer = self.link.api("GET", "namespaces")
        current = answer.get("current", "")
        rows = [{"name": ns.get("name", ""), "role": ns.get("role", ""),
                 "current": "*" if ns.get("name") == current else ""}
                for ns in answer.get("namespaces") or []]
        show(Table([("current", ""), ("name", trans.__("namespace")), ("role", trans.__("role"))],
                   rows, title=trans.__("Namespaces (current: {current})",
                                        current=current or trans.__("none")),
                   note=trans.__("Choose one with %kfp namespace NAME."),
                   empty=trans.__("No namespaces found.")))

    def _cmd_pipelines(self, args: argparse.Namespace) -> None:
        from .display import show

        answer = self.link.api("GET", "pipelines", params={
            "scope": "shared" if args.shared else "private", "search": args.search,
            "page_size": str(args.page_size)})
        show(pipelines_table(answer, args.search))

    def _cmd_upload(self, args: argparse.Namespace) -> None:
        from .display import Fields, Link, show

        data, filename = self._package(args.source)
        fields = {"name": args.name, "display_name": args.display_name, "description": args.description}
        if args.version_of:
            pipeline_id = self._pipeline_id(args.version_of, shared=args.shared)
            answer = self.link.api("POST", f"pipelines/{pipeline_id}/versions",
                                   files={"file": (filename, data)},
                                   data={k: v for k, v in fields.items() if v})
        else:
            fields["scope"] = "shared" if args.shared else "private"
            try:
                answer = self.link.api("POST", "pipelines", files={"file": (filename, data)},
                                       data={k: v for k, v in fields.items() if v})
            except KFPConnectError as err:
                raise duplicate_hint(err, args.source, args.shared) from None
        pipeline, version = answer.get("pipeline") or {}, answer.get("version") or {}
        show(Fields([(trans.__("pipeline"), pipeline.get("display_name") or pipeline.get("name")),
                     (trans.__("pipeline id"), pipeline.get("id")),
                     (trans.__("namespace"), pipeline.get("namespace") or trans.__("(shared)")),
                     (trans.__("version"), version.get("name")),
                     (trans.__("version id"), version.get("id"))],
                    title=trans.__("Uploaded")))
        url = version.get("ui_url") or pipeline.get("ui_url")
        if url:
            show(Link(url, trans.__("Open in the KFP UI")))

    def _cmd_run(self, args: argparse.Namespace) -> None:
        """Check the parameters against the pipeline's spec and start the run, both through
        the server (``POST runs``: the form's rules); with ``--wait``, follow it."""
        from .display import Fields, Link, show

        if args.timeout is not None and args.timeout <= 0:
            raise UsageError(trans.__("%kfp run: --timeout wants a number of seconds above 0"))
        body: dict[str, Any] = {"parameters": parse_params(args.param),
                                "experiment_name": args.experiment or "Default",
                                "display_name": args.run_name or f"{args.pipeline} run"}
        target = self._user_object(args.pipeline)
        if target is not None and callable(target) and not isinstance(target, str):
            data, filename = compile_pipeline(target, args.pipeline)
            body["pipeline_package"] = _package_body(data, filename)
        elif os.path.isfile(os.path.expanduser(args.pipeline)):
            path = os.path.expanduser(args.pipeline)
            with open(path, "rb") as handle:
                body["pipeline_package"] = _package_body(handle.read(), os.path.basename(path))
        else:
            pipeline_id = self._pipeline_id(args.pipeline, shared=args.shared)
            body["pipeline_id"] = pipeline_id
            body["pipeline_version_id"] = self._version_id(pipeline_id, args.version)
        run = self.link.api("POST", "runs", json=body)
        if args.wait:
            self._wait(run, args.timeout)
            return
        show(Fields([(trans.__("run"), run.get("display_name")),
                     (trans.__("run id"), run.get("run_id")),
                     (trans.__("pipeline"), run.get("pipeline_name") or args.pipeline),
                     (trans.__("experiment"), run.get("experiment_name") or args.experiment),
                     (trans.__("state"), run.get("state"))], title=trans.__("Run started")))
        if run.get("ui_url"):
            show(Link(run["ui_url"], trans.__("Open the run in the KFP UI")))

    def _wait(self, run: dict[str, Any], timeout: float | None) -> None:
        """One display, updated in place, until the run ends; the last state stays in the
        output. A FAILED run (or the timeout) ends the cell with an error, so a notebook
        run by papermill stops there."""
        import time

        from IPython.display import display

        from .display import RunStatus

        started = time.monotonic()
        handle = display(RunStatus(run, elapsed=0.0, note=trans.__("Waiting for the run to end...")),
                         display_id=True)
        delay = POLL_START
        try:
            while run.get("state") not in FINAL_STATES:
                if timeout is not None and time.monotonic() - started >= timeout:
                    handle.update(RunStatus(run, elapsed=time.monotonic() - started,
                                            note=trans.__("Stopped waiting after {seconds} s; the run goes on.",
                                                         seconds=format(timeout, "g"))))
                    raise KFPConnectError(
                        "run_timeout", trans.__("The run {run} is still {state} after {seconds} s.",
                                                run=run.get("display_name"), state=run.get("state"),
                                                seconds=format(timeout, "g")),
                        fix=trans.__("Follow it with %kfp runs or in the KFP UI, or wait longer "
                                     "(--timeout)."),
                        status=408, details={"run_id": run.get("run_id")})
                time.sleep(delay if timeout is None else min(delay, max(0.0, timeout - (time.monotonic() - started))))
                delay = min(delay * 1.5, POLL_MAX)
                run = self.link.api("GET", f"runs/{run['run_id']}")
                handle.update(RunStatus(run, elapsed=time.monotonic() - started,
                                        note="" if run.get("state") in FINAL_STATES else trans.__("Waiting...")))
        except KeyboardInterrupt:
            handle.update(RunStatus(run, elapsed=time.monotonic() - started,
                                    note=trans.__("Stopped waiting (interrupted); the run goes on.")))
            return
        if run.get("state") == "FAILED":
            raise KFPConnectError(
                "run_failed", (trans.__("The run {run} failed.", run=run.get("display_name"))
                               + " " + (run.get("error_message") or "")).strip(),
                fix=(trans.__("See the failed task's logs in the KFP UI: {url}", url=run["ui_url"])
                     if run.get("ui_url") else trans.__("See the failed task's logs in the KFP UI.")),
                status=409, details={"run_id": run.get("run_id")})

    def _cmd_runs(self, args: argparse.Namespace) -> None:
        from .display import show

        params = {"page_size": str(args.page_size)}
        if args.state:
            params["state"] = args.state
        if args.pipeline:
            params["pipeline_id"] = self._pipeline_id(args.pipeline, shared=False)
        show(runs_table(self.link.api("GET", "runs", params=params), args))

    def _cmd_open(self, args: argparse.Namespace) -> None:
        from .display import Link, show

        ui = self.link.connection().get("ui_host") or ""
        if not ui:
            raise KFPConnectError(
                "no_ui_host", trans.__("This connection has no address for the KFP UI (the "
                                       "in-cluster API service serves no UI)."),
                fix=trans.__("Set c.KFPConnect.ui_host (or KF_PIPELINES_UI_ENDPOINT) to the "
                             "Kubeflow dashboard's pipeline URL."), status=404)
        show(Link(f"{ui.rstrip('/')}/#/pipelines", trans.__("Open the Kubeflow Pipelines UI")))

    def _cmd_export(self, args: argparse.Namespace) -> None:
        manifest_commands.export(self, args)

    def _cmd_apply(self, args: argparse.Namespace) -> None:
        manifest_commands.apply(self, args)

    # --- lookups ---------------------------------------------------------------------------
    def _package(self, source: str) -> tuple[bytes, str]:
        """A file's bytes, or a pipeline function in this kernel compiled to YAML."""
        target = self._user_object(source)
        if target is not None and not isinstance(target, str):
            return compile_pipeline(target, source)
        path = os.path.expanduser(source)
        if not os.path.isfile(path):
            raise UsageError(trans.__("%kfp upload: {source} is neither a file nor a pipeline "
                                      "function in this kernel.", source=repr(source)))
        with open(path, "rb") as handle:
            return handle.read(), os.path.basename(path)

    def _pipeline_id(self, name_or_id: str, *, shared: bool) -> str:
        """A pipeline's id from its id or its (display) name; private first unless shared."""
        scopes = ("shared",) if shared else ("private", "shared")
        for scope in scopes:
            answer = self.link.api("GET", "pipelines", params={
                "scope": scope, "search": name_or_id, "page_size": "200"})
            for pipeline in answer.get("pipelines") or []:
                if name_or_id in (pipeline.get("name"), pipeline.get("display_name")):
                    return pipeline["id"]
        try:
            return self.link.api("GET", f"pipelines/{name_or_id}")["pipeline"]["id"]
        except KFPConnectError as err:
            if err.status not in (400, 404):  # 400: not a KFP id either (ids are UUIDs)
                raise
        raise KFPConnectError(
            "not_found",
            trans.__("No pipeline named {name} in the shared pipelines.", name=repr(name_or_id))
            if shared else trans.__("No pipeline named {name} in this namespace or the shared "
                                    "pipelines.", name=repr(name_or_id)),
            fix=trans.__("List them with %kfp pipelines (or --shared)."), status=404)

    def _version_id(self, pipeline_id: str, version: str) -> str:
        detail = self.link.api("GET", f"pipelines/{pipeline_id}", params={"page_size": "200"})
        versions = detail.get("versions") or []
        if not version:
            if not versions:
                raise KFPConnectError("not_found", trans.__("This pipeline has no versions."), status=404)
            return versions[0]["id"]  # newest first
        for item in versions:
            if version in (item.get("id"), item.get("name"), item.get("display_name")):
                return item["id"]
        raise KFPConnectError("not_found", trans.__("No version {version} of this pipeline.",
                                                    version=repr(version)),
                              fix=trans.__("See its versions in the panel."), status=404)


# --- pure helpers (also used by the tests) ------------------------------------------------------

def compile_pipeline(pipeline: Any, name: str) -> tuple[bytes, str]:
    """Compile a ``@dsl.pipeline`` function to KFP's YAML in a private temp dir."""
    from kfp import compiler

    with tempfile.TemporaryDirectory(prefix="kfp-connect-") as folder:
        path = os.path.join(folder, f"{name}.yaml")
        try:
            compiler.Compiler().compile(pipeline, package_path=path)
        except Exception as err:  # kfp raises several kinds for "not a pipeline"
            raise UsageError(trans.__("%kfp upload: could not compile {name}: {error}",
                                      name=repr(name), error=err)) from None
        with open(path, "rb") as handle:
            return handle.read(), os.path.basename(path)


def status_views(status: dict[str, Any]) -> list[Any]:
    from .display import Fields, ProblemView

    credential = status.get("credential") or {}
    fields = [
        (trans.__("state"), status.get("state")),
        (trans.__("host"), status.get("host")),
        (trans.__("auth"), status.get("auth")),
        (trans.__("user"), status.get("username") or credential.get("subject") or ""),
        (trans.__("namespace"), status.get("namespace") or trans.__("(none)")),
        (trans.__("multi-user"), status.get("multi_user")),
    ]
    views: list[Any] = [Fields(fields, title=trans.__("Kubeflow Pipelines"))]
    if status.get("problem"):
        views.append(ProblemView(status["problem"]))
    return views


def pipelines_table(answer: dict[str, Any], search: str = "") -> Any:
    from .display import Table

    shared = answer.get("scope") == "shared"
    namespace = answer.get("namespace") or trans.__("this KFP")
    if search:
        title = (trans.__("Shared pipelines matching {search}", search=repr(search)) if shared
                 else trans.__("Pipelines in {namespace} matching {search}", namespace=namespace,
                               search=repr(search)))
    else:
        title = (trans.__("Shared pipelines") if shared
                 else trans.__("Pipelines in {namespace}", namespace=namespace))
    rows = answer.get("pipelines") or []
    total = answer.get("total_size") or len(rows)
    note = (trans.__("{shown} of {total} (more: raise --page-size or search)", shown=len(rows),
                     total=total) if total > len(rows)
            else trans.__("{shown} of {total}", shown=len(rows), total=total))
    return Table([("display_name", trans.__("name")), ("id", trans.__("id")),
                  ("created_at", trans.__("created")), ("description", trans.__("description"))],
                 rows, title=title, note=note, empty=trans.__("No pipelines."))


def runs_table(answer: dict[str, Any], args: Any = None) -> Any:
    """Recent runs, newest first, each name linking to the run in the KFP UI."""
    from .display import Table

    rows = []
    for run in answer.get("runs") or []:
        rows.append({**run, "pipeline": " / ".join(x for x in (run.get("pipeline_name"),
                                                                 run.get("pipeline_version_name")) if x),
                     "created": (run.get("created_at") or "").replace("T", " ").rstrip("Z"),
                     "duration": _duration(run.get("created_at"), run.get("finished_at"))})
    what = []
    if args is not None and getattr(args, "state", ""):
        what.append(trans.__("state {state}", state=args.state))
    if args is not None and getattr(args, "pipeline", ""):
        what.append(trans.__("pipeline {pipeline}", pipeline=args.pipeline))
    total = answer.get("total_size")
    note = (trans.__("{shown} of {total}", shown=len(rows), total=total)
            if isinstance(total, int) and total > len(rows) else "")
    title = (trans.__("Recent runs ({filters})", filters=", ".join(what)) if what
             else trans.__("Recent runs"))
    return Table([("display_name", trans.__("run")), ("state", trans.__("state")),
                  ("pipeline", trans.__("pipeline / version")),
                  ("experiment_name", trans.__("experiment")), ("created", trans.__("created")),
                  ("duration", trans.__("duration")), ("run_id", trans.__("id"))], rows,
                 title=title, note=note, empty=trans.__("No runs."),
                 links={"display_name": "ui_url"})


def _duration(start: str | None, end: str | None) -> str:
    from datetime import datetime

    if not start or not end:
        return ""
    try:
        seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                   - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _package_body(data: bytes, filename: str) -> dict[str, str]:
    import base64

    return {"filename": filename, "data": base64.b64encode(data).decode("ascii")}


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except Exception as err:  # StdinNotImplementedError: the front end cannot prompt
        raise UsageError(trans.__("%kfp login: cannot prompt here ({error}); pass --username.",
                                  error=err)) from None


def _secret(prompt: str, env_name: str | None) -> str:
    """Read a secret without echo (ipykernel's getpass asks the front end for a password field)."""
    if env_name:
        value = os.environ.get(env_name, "")
        if not value:
            raise UsageError(trans.__("%kfp login: the environment variable {name} is empty.",
                                      name=env_name))
        return value
    import getpass

    try:
        return getpass.getpass(prompt)
    except Exception as err:
        raise UsageError(trans.__("%kfp login: cannot prompt for a password here ({error}); "
                                  "use --password-env VAR.", error=err)) from None
