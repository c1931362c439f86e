"""Jupyter server for the Galata tests: the extension against an in-process KFP sandbox.

The sandbox runs a Kubeflow-like gateway (oauth2-proxy + Dex) on a fixed port so the
tests can drive its ``/_sandbox/`` controls; the extension is pointed at it.
"""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

c.ServerApp.allow_root = True  # noqa: F821  (CI machines run as root)
c.LabApp.extension_manager = "readonly"  # noqa: F821
