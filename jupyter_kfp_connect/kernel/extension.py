"""``%load_ext jupyter_kfp_connect``: ``kfp_client`` and ``kfp_pipelines`` in the user namespace
and the ``%kfp`` magic.

Loading runs on every kernel start (the front end injects it), so it only registers names:
no ``kfp`` import, no network call (see ``benchmarks/bench_kernel_startup.py``). Failures
of the connection surface on first use, as the server's diagnosis.
"""

from __future__ import annotations

from typing import Any

from ..errors import KFPConnectError
from .client import LazyKFPClient, server_address
from .pipelines_client import PIPELINES_NAME, LazyPipelinesClient
from .session import CLIENT_NAME, build_client, build_pipelines_client


def _show_problem(shell: Any, etype: type, value: BaseException, tb: Any,
                  tb_offset: int | None = None) -> list[str]:
    """A ``KFPConnectError`` shows its diagnosis (message, fix, YAML), not a traceback: the
    user can act on it, and the stack is ours, not theirs."""
    from .display import ProblemView

    stb = [repr(ProblemView(value.problem.to_json()))]  # type: ignore[attr-defined]
    shell._showtraceback(etype, value, stb)
    return stb


def load_ipython_extension(ipython: Any) -> None:
    from .magics import KFPMagics

    server_address()  # takes the secret out of os.environ before any cell can print it

    ipython.register_magics(KFPMagics)
    current = ipython.user_ns.get(CLIENT_NAME)
    if current is None or isinstance(current, LazyKFPClient):
        ipython.push({CLIENT_NAME: LazyKFPClient(build_client)})
    current = ipython.user_ns.get(PIPELINES_NAME)
    if current is None or isinstance(current, LazyPipelinesClient):
        ipython.push({PIPELINES_NAME: LazyPipelinesClient(build_pipelines_client)})
    if not ipython.custom_exceptions:
        ipython.set_custom_exc((KFPConnectError,), _show_problem)


def unload_ipython_extension(ipython: Any) -> None:
    if isinstance(ipython.user_ns.get(CLIENT_NAME), LazyKFPClient):
        ipython.drop_by_id({CLIENT_NAME: ipython.user_ns[CLIENT_NAME]})
    if isinstance(ipython.user_ns.get(PIPELINES_NAME), LazyPipelinesClient):
        ipython.drop_by_id({PIPELINES_NAME: ipython.user_ns[PIPELINES_NAME]})
    if ipython.custom_exceptions == (KFPConnectError,):
        ipython.set_custom_exc((), None)
