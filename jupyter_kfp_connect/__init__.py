"""jupyter_kfp_connect: a Kubeflow Pipelines client for JupyterLab.

Only entry points live here; importing this package must stay cheap (no ``kfp``,
no ``kubernetes``), because it runs at server start-up and on every kernel start.
"""

from __future__ import annotations

from typing import Any

from .version import __version__


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-kfp-connect"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import KFPConnect

    return [{"module": "jupyter_kfp_connect", "app": KFPConnect}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_kfp_connect``: a lazy ``kfp_client`` and the ``%kfp`` magic."""
    from .kernel.extension import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .kernel.extension import unload_ipython_extension as _unload

    _unload(ipython)
