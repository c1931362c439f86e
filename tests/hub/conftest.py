"""One real JupyterHub per test module (about 20 s to start), in front of a Dex sandbox."""

from __future__ import annotations

import pytest

from tests.hub.hub import HUB_AUTHORIZER, Hub

#: Hub users; each signs in to KFP (the sandbox's Dex) as a different person.
ANN, BEN = "ann", "ben"
KFP_LOGIN = {ANN: ("user@example.com", "12341234", "kubeflow-user-example-com"),
             BEN: ("alice@example.com", "alicepass", "alice")}


@pytest.fixture(scope="module")
def dex():
    from jupyter_kfp_connect.sandbox import Sandbox

    sandbox = Sandbox("dex").start()
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, dex):
    """Ann's server runs JupyterHub's scope-checking authorizer, Ben's the default one."""
    def server_config(authorizer: str | None) -> dict:
        # The front end is not under test here: leave JupyterLab's server parts out (faster start).
        serverapp = {"jpserver_extensions": {"jupyter_kfp_connect": True, "jupyterlab": False,
                                             "jupyter_lsp": False, "notebook_shim": False}}
        if authorizer:
            serverapp["authorizer_class"] = authorizer
        return {"ServerApp": serverapp,
                "KFPConnect": {"host": dex.kfp_host, "ui_host": dex.url + "/pipeline/"}}

    hub = Hub(tmp_path_factory.mktemp("hub"), {ANN: server_config(HUB_AUTHORIZER), BEN: server_config(None)})
    try:
        hub.start()
        yield hub
    finally:
        hub.close()
