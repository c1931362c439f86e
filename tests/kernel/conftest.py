"""Real IPython kernels (jupyter_client) next to a real Jupyter server with the extension.

The server sets ``JUPYTER_KFP_CONNECT_URL``/``_SECRET`` in this process's environment when it
starts; a kernel launched afterwards inherits them, exactly as a kernel JupyterLab starts does.
The kernel calls back into the test's server over loopback while the test awaits its reply
(same event loop), so the whole path is exercised: kernel -> handler -> connection -> sandbox.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.connection.kfp_fixtures import (  # noqa: F401  (fixtures re-exported)
    NAMESPACE, PASSWORD, USER, call, clean_env, in_cluster, jp_server_config, kfp_config,
    kfp_extra,
)


@dataclass
class Outcome:
    """What one cell produced, as a notebook would store it."""

    status: str = ""
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    prompts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def html(self) -> str:
        return "\n".join(self.htmls)

    @property
    def error_text(self) -> str:
        return "\n".join(self.error["traceback"]) if self.error else ""

    @property
    def everything(self) -> str:
        """Every byte a notebook would keep from this cell."""
        return repr(self.messages)


class Kernel:
    def __init__(self, km: Any, kc: Any) -> None:
        self.km, self.kc = km, kc
        self.outcomes: list[Outcome] = []

    async def run(self, code: str, *, answers: list[str] | None = None, ok: bool | None = True,
                  timeout: float = 60) -> Outcome:
        """Execute ``code``; ``answers`` feed input()/getpass() prompts in order.
        ``ok=True`` asserts success, ``False`` asserts an error, ``None`` checks nothing."""
        outcome = Outcome()
        pending = list(answers or [])

        def on_output(msg: dict[str, Any]) -> None:
            outcome.messages.append(msg["content"])
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                outcome.texts.append(content["text"])
            elif kind in ("display_data", "execute_result"):
                outcome.texts.append(content["data"].get("text/plain", ""))
                if "text/html" in content["data"]:
                    outcome.htmls.append(content["data"]["text/html"])
            elif kind == "error":
                outcome.error = content

        def on_stdin(msg: dict[str, Any]) -> None:
            outcome.prompts.append(msg["content"])
            self.kc.input(pending.pop(0) if pending else "")

        reply = await self.kc.execute_interactive(
            code, allow_stdin=True, output_hook=on_output, stdin_hook=on_stdin, timeout=timeout)
        outcome.status = reply["content"]["status"]
        self.outcomes.append(outcome)
        if ok is True:
            assert outcome.status == "ok", outcome.error_text or outcome.text
        elif ok is False:
            assert outcome.status == "error", outcome.text
        return outcome

    async def value(self, expression: str) -> str:
        """``repr`` of an expression evaluated in the kernel (as text)."""
        return (await self.run(f"print(repr({expression}))")).text.strip()


@pytest.fixture
def ipython_dir(tmp_path):
    """The kernel's IPython profile (history database) in a folder the test can search."""
    folder = tmp_path / "ipython"
    folder.mkdir()
    return folder


@pytest.fixture
def start_kernel(jp_serverapp, http_server, ipython_dir, jp_asyncio_loop):
    """``await start_kernel(load=True)`` -> a ready :class:`Kernel` (with the extension loaded,
    as the front end injects it). ``http_server`` makes the server answer the kernel."""
    from jupyter_client.manager import AsyncKernelManager

    started: list[Kernel] = []

    async def start(load: bool = True) -> Kernel:
        km = AsyncKernelManager(kernel_name="python3")
        env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
        await km.start_kernel(env=env)
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        kernel = Kernel(km, kc)
        started.append(kernel)
        if load:
            await kernel.run("%load_ext jupyter_kfp_connect")
        return kernel

    yield start

    async def stop_all() -> None:
        for kernel in started:
            kernel.kc.stop_channels()
            await kernel.km.shutdown_kernel(now=True)

    jp_asyncio_loop.run_until_complete(stop_all())


def kfp_app(jp_serverapp: Any) -> Any:
    return jp_serverapp.extension_manager.extension_points["jupyter_kfp_connect"].app


def identities(sb: Any) -> list[str]:
    """Who the sandbox saw on successful pipeline listings, in order."""
    return [e["identity"] for e in sb.controls.request_log()
            if e["status"] == 200 and e["path"].endswith("/apis/v2beta1/pipelines")]
