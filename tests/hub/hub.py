"""A real JupyterHub for the tests: jupyterhub from PyPI, configurable-http-proxy from npm,
DummyAuthenticator, SimpleLocalProcessSpawner, every port a free one on 127.0.0.1.

The test talks to it as people and JupyterLab do: the hub's REST API (with a service token, to
create users' tokens, start servers and share them), each user's server through the proxy
with that user's token, kernels over the server's websocket, and terminals over theirs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
#: Where scripts/setup.sh installs configurable-http-proxy (git-ignored).
CHP = ROOT / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_AUTHORIZER = "jupyterhub.singleuser.extension.JupyterHubAuthorizer"


def configurable_http_proxy() -> str:
    found = str(CHP) if CHP.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise RuntimeError(f"configurable-http-proxy is not installed at {CHP}: run scripts/setup.sh "
                           "(it runs npm install --prefix build/node configurable-http-proxy).")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Outcome:
    """What one cell produced: its printed text and its error (if any), as a notebook shows."""

    status: str = ""
    text: str = ""
    error: dict[str, Any] | None = None

    @property
    def error_text(self) -> str:
        return "\n".join(self.error["traceback"]) if self.error else ""


class KernelChannel:
    """A kernel driven over the server's websocket (``api/kernels/ID/channels``), as JupyterLab does."""

    session_model: dict[str, Any]

    def __init__(self, url: str, token: str) -> None:
        import websocket

        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(f"{url}?session_id={self.session}", timeout=120,
                                              header=[f"Authorization: token {token}"])

    def run(self, code: str, timeout: float = 120) -> Outcome:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": "test", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        outcome, texts, replied, idle = Outcome(), [], False, False
        deadline = time.monotonic() + timeout
        while not (replied and idle):
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in ("display_data", "execute_result"):
                texts.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                outcome.error = content
            elif kind == "execute_reply":
                outcome.status, replied = content["status"], True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        outcome.text = "".join(texts)
        return outcome

    def close(self) -> None:
        self.ws.close()


@dataclass
class HubUser:
    """One person of the hub, with an API token of their own."""

    hub: Hub
    name: str
    token: str = ""
    kernels: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def server_url(self, owner: str | None = None) -> str:
        """The base URL of ``owner``'s server (their own by default), through the proxy."""
        return f"{self.hub.url}/user/{owner or self.name}/"

    def call(self, method: str, path: str, body: Any = None, *, owner: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """A ``kfp-connect/PATH`` request to a server as this person: ``(status, JSON body)``."""
        response = httpx.request(method, self.server_url(owner) + "kfp-connect/" + path,
                                 headers={**self.auth, **(headers or {})}, timeout=60,
                                 json=body if body is not None or method in ("POST", "PUT") else None)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def start_kernel(self, owner: str | None = None) -> KernelChannel:
        """Start a Python kernel as JupyterLab does (``POST api/sessions``) and connect to it."""
        base = self.server_url(owner)
        response = httpx.post(base + "api/sessions", headers=self.auth, timeout=120, json={
            "path": f"{self.name}-{uuid.uuid4().hex[:6]}.ipynb", "type": "notebook", "name": "",
            "kernel": {"name": "python3"}})
        response.raise_for_status()
        session = response.json()
        self.kernels.append(session["kernel"]["id"])
        return self.connect(session, owner)

    def connect(self, session: dict[str, Any], owner: str | None = None) -> KernelChannel:
        ws = self.server_url(owner).replace("http://", "ws://", 1) + f"api/kernels/{session['kernel']['id']}/channels"
        channel = KernelChannel(ws, self.token)
        channel.session_model = session
        return channel

    def rename_and_restart(self, channel: KernelChannel, owner: str | None = None) -> KernelChannel:
        """Rename the kernel's notebook (the server updates the kernel's environment) and
        restart the kernel, as JupyterLab does; returns a channel to the new process."""
        base, session = self.server_url(owner), channel.session_model
        renamed = httpx.patch(base + f"api/sessions/{session['id']}", headers=self.auth, timeout=60,
                              json={"path": f"renamed-{uuid.uuid4().hex[:6]}.ipynb"})
        renamed.raise_for_status()
        restarted = httpx.post(base + f"api/kernels/{session['kernel']['id']}/restart", headers=self.auth,
                               timeout=120)
        restarted.raise_for_status()
        channel.close()
        return self.connect(renamed.json(), owner)

    def terminal(self, command: str, marker: str, owner: str | None = None, timeout: float = 120) -> str:
        """Run ``command`` in a new terminal of the server; output up to the line ``marker``."""
        import websocket

        base = self.server_url(owner)
        response = httpx.post(base + "api/terminals", headers=self.auth, timeout=60)
        response.raise_for_status()
        name = response.json()["name"]
        ws = websocket.create_connection(base.replace("http://", "ws://", 1) + f"terminals/websocket/{name}",
                                         header=[f"Authorization: token {self.token}"], timeout=timeout)
        try:
            ws.send(json.dumps(["stdin", f"{command}; echo {marker[:1]}''{marker[1:]}\r"]))
            output, deadline = "", time.monotonic() + timeout
            while f"\n{marker}" not in output.replace("\r", ""):
                ws.settimeout(max(0.1, deadline - time.monotonic()))
                message = json.loads(ws.recv())
                if message[0] == "stdout":
                    output += message[1]
            return output.replace("\r", "")
        finally:
            ws.close()
            httpx.delete(base + f"api/terminals/{name}", headers=self.auth, timeout=60)


class Hub:
    """``Hub(folder, users={name: server config}).start()``; ``.users[name]``; ``.close()``."""

    def __init__(self, folder: Path, users: dict[str, dict[str, Any]]) -> None:
        self.folder = folder
        self.user_config = users
        self.proxy_port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"
        self.service_token = secrets.token_hex(24)
        self.users = {name: HubUser(self, name) for name in users}
        self.process: subprocess.Popen | None = None

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"token {self.service_token}"}

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60) -> httpx.Response:
        return httpx.request(method, f"{self.url}/hub/api/{path}", headers=self.admin, timeout=timeout,
                             json=body)

    def _write_config(self) -> Path:
        bindir = Path(sys.executable).parent
        configs = {}
        for name, server_config in self.user_config.items():
            folder = self.folder / "jupyter-config" / name
            folder.mkdir(parents=True)
            (folder / "jupyter_server_config.json").write_text(json.dumps(server_config))
            configs[name] = str(folder)
        config = self.folder / "jupyterhub_config.py"
        config.write_text(f"""
import json
CONFIG_DIRS = json.loads({json.dumps(json.dumps(configs))})
c.JupyterHub.bind_url = "http://127.0.0.1:{self.proxy_port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{self.hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.command = [{configurable_http_proxy()!r}]
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set(CONFIG_DIRS)
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.folder / "home" / "{username}")!r}
c.Spawner.cmd = [{str(bindir / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{"JUPYTER_CONFIG_DIR": lambda spawner: CONFIG_DIRS[spawner.user.name]}}
c.JupyterHub.services = [{{"name": "tests", "api_token": {self.service_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "tests", "services": ["tests"],
    "scopes": ["admin:users", "admin:servers", "tokens", "shares", "access:servers"]}}]
c.JupyterHub.db_url = "sqlite:///{self.folder / 'hub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(self.folder / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.log_level = "INFO"
""")
        return config

    def start(self) -> Hub:
        config = self._write_config()
        (self.folder / "home").mkdir()
        self.log = open(self.folder / "hub.log", "wb")  # noqa: SIM115 (the hub's, closed in close())
        # PATH (for node) and PYTHONPATH (the code under test) reach the servers: the spawner
        # keeps them from the hub's environment.
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)],
                                        cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(lambda: httpx.get(f"{self.url}/hub/api/", timeout=2).status_code == 200, "the hub")
        with ThreadPoolExecutor(len(self.users)) as pool:
            spawned = list(pool.map(lambda n: self.api("POST", f"users/{n}/server", timeout=180), self.users))
        for response in spawned:
            assert response.status_code in (201, 202), response.text
        for user in self.users.values():
            user.token = self.new_token(user.name)
            self._wait(lambda name=user.name: (self.api("GET", f"users/{name}").json()["servers"]
                                               .get("", {}).get("ready")), f"{user.name}'s server")
        return self

    def _wait(self, ready: Any, what: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.process.returncode}): {self.log_text()[-3000:]}")
            try:
                if ready():
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{what} did not come up in {timeout} s: {self.log_text()[-3000:]}")

    def new_token(self, name: str) -> str:
        """Another API token of ``name`` (a server caches what the hub said of a token it saw)."""
        created = self.api("POST", f"users/{name}/tokens", {"note": "tests"})
        assert created.status_code == 201, created.text
        return created.json()["token"]

    def share(self, owner: str, guest: str) -> None:
        """Share ``owner``'s server with ``guest`` (JupyterHub's sharing: a second person on it)."""
        response = self.api("POST", f"shares/{owner}/", {"user": guest})
        assert response.status_code == 200, response.text

    def log_text(self) -> str:
        path = self.folder / "hub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def server_pids(self) -> Iterator[int]:
        """The single-user servers' process ids, from the spawners' state in the hub's database."""
        try:
            with sqlite3.connect(self.folder / "hub.sqlite") as db:
                for (state,) in db.execute("SELECT state FROM spawners"):
                    pid = json.loads(state or "{}").get("pid") if isinstance(state, str) else None
                    if pid:
                        yield int(pid)
        except sqlite3.Error:
            return

    def close(self) -> None:
        if self.process is None:
            return
        pids = list(self.server_pids())
        self.process.send_signal(signal.SIGTERM)  # cleanup_servers: the hub stops the servers
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        for pid in pids:  # only those the hub could not stop, and only if still ours
            try:
                if b"jupyterhub-singleuser" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()
        self.process = None
