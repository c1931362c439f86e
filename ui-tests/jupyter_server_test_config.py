"""Jupyter server for the Galata tests: the extension against an in-process KFP sandbox.

The sandbox runs a Kubeflow-like gateway (oauth2-proxy + Dex) on a fixed port so the
tests can drive its ``/_sandbox/`` controls; the extension is pointed at it. The demo
namespace gets 500 pipelines (enough to page through) and a few shared ones.
"""

import os

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyterlab.galata import configure_jupyter_server

from jupyter_kfp_connect.sandbox import Sandbox


class PerBrowserIdentity(PasswordIdentityProvider):
    """Each Playwright browser context is a person of its own, as under JupyterHub, so every
    spec starts signed out. (With Jupyter's own provider a single-user server has one person
    and one KFP session for all browsers; tests/handlers covers that.)"""


configure_jupyter_server(c)  # noqa: F821
c.ServerApp.identity_provider_class = PerBrowserIdentity  # noqa: F821

c.ServerApp.allow_root = True  # noqa: F821  (CI machines run as root)
#: GALATA_PORT lets two checkouts run their browser tests side by side.
c.ServerApp.port = int(os.environ.get("GALATA_PORT", "8888"))  # noqa: F821
c.LabApp.extension_manager = "readonly"  # noqa: F821

#: Fixed so the specs can reach the sandbox's controls (seed, expire_sessions, ...).
SANDBOX_PORT = int(os.environ.get("KFP_SANDBOX_PORT", "8766"))
DEMO_NAMESPACE = "kubeflow-user-example-com"

#: The specs drive its controls with this token (playwright.config.js makes one per run).
sandbox = Sandbox(mode="dex", port=SANDBOX_PORT,
                  control_token=os.environ.get("KFP_SANDBOX_TOKEN") or None).start()
sandbox.controls.seed(DEMO_NAMESPACE, 500, prefix="pipeline")
sandbox.controls.seed("", 5, versions=2, prefix="shared")
# A second namespace the demo user may use, so the namespace picker has a choice.
sandbox.rbac.grant("user@example.com", "team-a", "edit")
sandbox.controls.seed("team-a", 3, prefix="team")

c.KFPConnect.host = sandbox.kfp_host  # noqa: F821
c.KFPConnect.auth = "auto"  # noqa: F821
